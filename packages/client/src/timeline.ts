import { LIVE_UNTIL_STOPPED, type Attachment, type CallContent, type ChatSummary, type Content, type Forwarded, type Imported, type LinkPreview, type Message, type MessageEntity, type ForceReply, type Place, type ReplyKeyboard, type ReplyMarkup, type SystemEvent } from '@parley/protocol';
import { RESENDABLE_REASONS } from './e2ee/resend.ts';
import type { PendingUpload, UploadProgress } from './files/types.ts';
import { foldGroupCall, groupMemberGone, type GroupCallLine } from './calls/group-call-line.ts';
import { communityRightsNow, ownStanding, rightsDisputes, rightsInLog, type OwnStanding } from './moderation/rights-in-log.ts';
import { sanctionsInLog, type SanctionStatement } from './moderation/sanctions-in-log.ts';
import { admissionsInLog } from './moderation/admissions-in-log.ts';
import type { DecodedEnvelope, OutboxItem, ScheduledMark, UnreadableReason } from './store.ts';
import { PollFold, type PollView } from './polls/poll-fold.ts';
import { mentionsUser } from './mentions.ts';
import { frankOpens } from './moderation/franking.ts';
import { foldThreads, type ThreadSummary } from './threads.ts';

export type MessageState = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/**
 * R61: a call as its line in the chat shows it. `ringing` until someone answers, declines or it ends
 * (an offer older than CALL_RING_MS still `ringing` was never closed by its caller's device: show it
 * as missed); `answered` while it runs; then `ended` with its duration, or `declined`, `missed`,
 * `cancelled` (the caller hung up first), `failed`.
 */
export interface CallSummary {
  callId: string;
  media: 'audio' | 'video';
  outcome: 'ringing' | 'answered' | 'declined' | 'missed' | 'cancelled' | 'ended' | 'failed';
  /** Who answered, and when (the answer's time in the log). */
  answeredBy?: string;
  answeredAt?: number;
  durationMs?: number;
  /** R63: a group chat's call on the SFU: who is in it; `outcome` is `answered` while anyone is, then `ended`. */
  group?: GroupCallLine;
}

/** One row of a chat as a person sees it: edits, deletions and reactions already applied. */
export interface TimelineItem {
  /** The client message id. */
  id: string;
  chatId: string;
  seq: number | null;
  senderUserId: string;
  sentAt: number;
  text: string;
  /** The text's formatting (R47), when it has any; an edit replaces it with its own. */
  entities?: MessageEntity[];
  replyTo?: { id: string; text: string; senderUserId: string };
  /** A link's preview its sender's device made (R45); dropped when the text is edited or deleted. */
  preview?: LinkPreview;
  /** R49: forwarded from another chat: its original sender (unless they asked not to be named) and time. */
  forwarded?: Forwarded;
  /** R49: its sender asked that forwards of it leave their name out. */
  noForwardName?: true;
  /**
   * R104: brought in from another messenger's export by its sender (the importer): the original
   * author's name and time, and the member the importer mapped that name to (a label, not a sender).
   */
  imported?: Imported;
  /**
   * R52: its files (the text is then their caption and may be ''). While this device's own message
   * is still uploading (`upload` set), each one's `blobId` and `sha256` are '' until its upload completes.
   */
  attachments?: Attachment[];
  /** This device's own message whose files are still uploading: progress, speed, state. */
  upload?: UploadProgress;
  /** R61: this line is a call (its offer's position); `text` is ''. */
  call?: CallSummary;
  /** R89: a reply in the thread of this message (the thread's root id): shown in the thread, not in the flow. */
  inThread?: string;
  /** R114: the root this reply named as sent, kept when this device holds no such message (a channel post: a comment). */
  threadRoot?: string;
  /** R114: the sender's quote of the post its thread root is (a comment on a channel post). */
  threadQuote?: string;
  /** R89: this message has a thread: how many replies, the latest's time, who replied. */
  thread?: ThreadSummary;
  /** R88: it mentions this user (@handle, @all from an admin) or replies to their message. */
  mentionsMe?: true;
  /** R93: a bot's inline keyboard under the message (`client.bots.press` sends a press). */
  replyMarkup?: ReplyMarkup;
  /** R121: a bot's reply keyboard (or its removal) sent with this text; set only when its sender is a bot member. */
  replyKeyboard?: ReplyKeyboard;
  /** R144: a bot's text asking for a reply (force_reply); set only when its sender is a bot member. */
  forceReply?: ForceReply;
  /** R151: a place the message shows. R157: a live one moves with its sender's edits; `liveAt`: when it last moved (or stopped). */
  place?: Place;
  liveAt?: number;
  /** R87: this line is a poll (`text` is its question), with the tally of the votes this device holds. */
  poll?: PollView;
  /** R50: pinned in the chat, by whom; `order` grows with each pin, so the latest pin has the largest. */
  pinned?: { by: string; order: number };
  edited: boolean;
  /** R122: the client ids of the edits applied to it, in log order (a report of it names the latest's entry). */
  editIds?: string[];
  /** R150: blobs of files an edit replaced (released with the message's own when it is deleted, R56). */
  replacedBlobIds?: string[];
  deleted: boolean;
  /**
   * R83: the text and the key its sender franked it with (what a report reveals, R84), and the log
   * entry that committed to it (`seq`, null while this device's own is unsent; `clientMsgId`): the
   * message's own, or after an edit the edit's (R122), so a report shows the words as they read
   * when reported. Dropped on deletion.
   */
  franked?: { key: string; text: string; seq: number | null; clientMsgId: string };
  /**
   * R83b: a text in a community's chat whose commitment does not open (missing, or not made from its
   * key and text): its sender's app, or the server, gave no proof, so it can't be reported. R122: so
   * too once an edit whose commitment does not open has changed its words.
   */
  unfranked?: true;
  /** R80: deleted for everyone by a community moderator (with `deleteMessages`), not by its sender. */
  deletedBy?: string;
  reactions: { emoji: string; userIds: string[] }[];
  state: MessageState;
  system?: SystemEvent;
  /** The envelope could not be read; `unreadableReason` says why (the UI explains it in plain words). */
  unreadable?: boolean;
  unreadableReason?: UnreadableReason;
  /** What the decoder said besides the reason, when it said anything (an MLS error code, a content type). */
  unreadableDetail?: string;
  /** Unreadable for a reason where its sender's device sending it again can help (R32: `requestResend`). */
  resendable?: boolean;
  /** This device asked for it to be sent again and no answer filled it yet. */
  resendRequested?: boolean;
  /** It was unreadable here and its sender's device sent it again (R32): shown in its place. */
  resent?: boolean;
  /** It came without end-to-end encryption (a plaintext envelope). */
  unencrypted?: boolean;
  /** The sender's device says a message of its own came before this one that this chat's log lost (R30). */
  missingBefore?: boolean;
  /** R191: a scheduled channel post, shown at its signed `date`; `early`: served well before it ("published before its time"). */
  scheduled?: ScheduledMark;
  /**
   * A line about the chat's encryption itself, not a message: `restarted`, its group was started
   * again by the commit at this position (R36; `senderUserId` started it); `pinned`, `senderUserId`
   * pinned the message `pinOf` (R50).
   */
  notice?: 'encryption_restarted' | 'pinned' | 'deleted_by_moderator' | 'rights_not_signed' | 'member_not_admitted';
  /** R152: for a `member_not_admitted` notice: who entered the chat here with no admin's word for it. */
  notAdmitted?: string;
  /**
   * R138: a rights line of the server's (`rights_changed`) that the owner's signed standing does not
   * confirm: devices act on the signed one. A `rights_not_signed` notice: a rights statement from
   * someone who is not the owner by the signed chain, ignored.
   */
  unconfirmed?: true;
  /** For a `pinned` notice: the message pinned, with its text as it is now ('' when deleted or unreadable). */
  pinOf?: { id: string; text: string };
  /** R81: for a `deleted_by_moderator` notice (`senderUserId` deleted it): whose message it was. */
  deletedOf?: { id: string; senderUserId: string };
  mine: boolean;
}

export interface FoldInput {
  chat: ChatSummary;
  myUserId: string;
  messages: readonly Message[];
  decoded: (message: Message) => DecodedEnvelope | undefined;
  outbox: readonly OutboxItem[];
  decodedOutbox: (item: OutboxItem) => Content | undefined;
  /** Ids of messages this device asked to be sent again (R32). */
  resendRequested?: ReadonlySet<string>;
  /** This device's messages with files still uploading (shown after the outbox, with their progress). */
  uploads?: readonly { upload: PendingUpload; progress: UploadProgress }[];
  /** R89: up to which log position this device has shown each thread (`ThreadMarks`). */
  threadSeen?: (rootId: string) => number;
  /** R138: hears the members whose rights the summary states otherwise than the owner's signed standing. */
  rightsDisputes?: (userIds: string[]) => void;
  /** R160: in the announcements chat, hears the sanction statements that count there; elsewhere, reads them (they confirm mutes). */
  sanctionsSigned?: (statements: readonly SanctionStatement[]) => void;
  sanctionsElsewhere?: () => readonly SanctionStatement[];
  /** R159: hears what the log (without the outbox) says of this user's rights at its end, in a community's chat. */
  ownStanding?: (standing: OwnStanding) => void;
  /** R152: for a community chat other than announcements: whether the user is an admitted member of the community (undefined: unknown). */
  admittedInCommunity?: (userId: string) => boolean | undefined;
  /** R152: hears who is in the chat with no admin's word for it (this device sends nothing there meanwhile). */
  admissionDisputes?: (userIds: string[]) => void;
  /** R155: in a community's announcements chat, hears whether this user still waits for an admin to admit them. */
  admissionAwaited?: (awaiting: boolean) => void;
}

/**
 * R50: who may pin in a chat, by the roles the chat summary gives now: in a direct chat both
 * people, in a group its admins and owner.
 */
export function mayPin(chat: ChatSummary, userId: string): boolean {
  const member = chat.members.find((m) => m.userId === userId);
  if (!member) return false;
  const rights = communityRightsNow(chat, userId); // R80: in a community's chat, the `pin` right
  if (rights) return rights.includes('pin');
  return chat.kind === 'direct' || member.role === 'owner' || member.role === 'admin';
}

/** R80: whether this user may delete other people's messages in the chat now (a community's, with `deleteMessages`). */
export function mayDeleteOthers(chat: ChatSummary, userId: string): boolean {
  return communityRightsNow(chat, userId)?.includes('deleteMessages') ?? false;
}

/** R122: the message a log entry belongs to: its own, or the one an edit at that entry changed (a report names the edit's). */
export function itemOfEntry(items: readonly TimelineItem[], clientMsgId: string): TimelineItem | undefined {
  return items.find((i) => i.id === clientMsgId || i.editIds?.includes(clientMsgId) === true);
}

/** R50: a chat's pinned messages, the latest pinned first. */
export function pinnedItems(items: readonly TimelineItem[]): TimelineItem[] {
  return items.filter((i) => i.pinned).sort((a, b) => (b.pinned?.order ?? 0) - (a.pinned?.order ?? 0));
}

/**
 * Folds a chat's log into what is shown. Edits and deletions count only from the original sender;
 * a reaction is per (user, emoji), the latest entry winning. Pure: unit-tested on its own.
 */
export function foldTimeline(input: FoldInput): TimelineItem[] {
  const { chat, myUserId } = input;
  const items: TimelineItem[] = [];
  const byId = new Map<string, TimelineItem>();
  const reactions = new Map<string, Map<string, Set<string>>>();
  const others = chat.members.filter((m) => m.userId !== myUserId);
  let pinOrder = 0;
  const rights = rightsInLog(chat, input.messages); // R80: folded along with the log
  const unconfirmedLines: TimelineItem[] = []; // R138: since the owner's last signed statement
  const admissions = admissionsInLog({ chat, myUserId, rights, ...(input.admittedInCommunity ? { admittedInCommunity: input.admittedInCommunity } : {}) });
  const sanctions = sanctionsInLog(chat, rights); // R156
  const entries = new Map<string, number>(); // R152: where each judged member entered (log position)
  const enter = (userId: string, seq: number) => {
    if (admissions.entered(userId)) entries.set(userId, seq);
  };
  const calls = new Map<string, TimelineItem>();
  const polls = new PollFold(myUserId);

  const stateOf = (seq: number): MessageState => {
    if (others.length === 0) return 'sent';
    if (others.every((m) => m.readSeq >= seq)) return 'read';
    if (others.every((m) => m.deliveredSeq >= seq)) return 'delivered';
    return 'sent';
  };

  /** `entry`: the log entry it came in (absent for this device's own items not yet in the log). */
  const apply = (senderUserId: string, content: Content, add: (item: TimelineItem) => void, base: Omit<TimelineItem, 'text' | 'edited' | 'deleted' | 'reactions'>, entry?: Message) => {
    switch (content.kind) {
      case 'text': {
        const item: TimelineItem = { ...base, text: content.text, ...(content.entities?.length ? { entities: content.entities } : {}), edited: false, deleted: false, reactions: [] };
        // R83, R83b: reportable only when the commitment the server delivered opens with the key and text.
        if (content.frank && (!entry || frankOpens(entry, entry.frank, content.frank, chat.chatId, base.id, content.text))) item.franked = { key: content.frank, text: content.text, seq: base.seq, clientMsgId: base.id };
        // R191: a scheduled post carries its author's signature instead (no franking: it can't be reported, R83, and says nothing else).
        else if (entry && chat.community && content.text !== '' && !base.scheduled) item.unfranked = true;
        if (content.replyTo) {
          const target = byId.get(content.replyTo);
          item.replyTo = { id: content.replyTo, text: target ? (target.deleted ? '' : target.text) : '', senderUserId: target?.senderUserId ?? '' };
        }
        if (mentionsUser({ chat, myUserId, senderUserId, text: content.text, entities: content.entities, repliesToMine: item.replyTo?.senderUserId === myUserId })) item.mentionsMe = true;
        if (content.preview) item.preview = content.preview;
        if (content.forwarded) item.forwarded = content.forwarded;
        if (content.noForwardName) item.noForwardName = true;
        if (content.imported) item.imported = content.imported;
        if (content.attachments) item.attachments = content.attachments;
        if (content.thread && content.thread !== item.id) item.inThread = item.threadRoot = content.thread;
        if (item.threadRoot && content.threadQuote) item.threadQuote = content.threadQuote;
        if (content.replyMarkup) item.replyMarkup = content.replyMarkup; // R93
        if (content.place) item.place = content.place; // R151
        if ((content.replyKeyboard || content.forceReply) && chat.members.some((m) => m.userId === senderUserId && m.bot)) { // R121, R144: only a bot's
          if (content.replyKeyboard) item.replyKeyboard = content.replyKeyboard;
          if (content.forceReply) item.forceReply = content.forceReply;
        }
        add(item);
        return;
      }
      case 'edit': {
        const target = byId.get(content.target);
        if (content.place) { // R157: a live location moves or stops; nothing else of the message changes but its keyboard
          if (target && target.senderUserId === senderUserId && !target.deleted && isLive(target, base.sentAt)) {
            target.place = content.place;
            target.liveAt = base.sentAt;
            if (content.replyMarkup) target.replyMarkup = content.replyMarkup;
            else delete target.replyMarkup;
            (target.editIds ??= []).push(base.id);
          }
          return;
        }
        // R150: an edit with files applies only to a message with files (a text never becomes one).
        if (target && target.senderUserId === senderUserId && !target.deleted && !target.poll && (!content.attachments || target.attachments?.length)) {
          if (content.attachments) {
            const kept = new Set(content.attachments.map((a) => a.blobId));
            const gone = [...(target.replacedBlobIds ?? []), ...(target.attachments ?? []).map((a) => a.blobId)].filter((b) => !kept.has(b));
            if (gone.length) target.replacedBlobIds = [...new Set(gone)];
            else delete target.replacedBlobIds;
            target.attachments = content.attachments;
          }
          if (target.text !== content.text) delete target.preview;
          target.text = content.text;
          if (content.entities?.length) target.entities = content.entities;
          else delete target.entities;
          if (content.replyMarkup) target.replyMarkup = content.replyMarkup; // R93: an edit replaces the keyboard
          else delete target.replyMarkup;
          target.edited = true;
          (target.editIds ??= []).push(base.id);
          // R122: the edit's own commitment now proves the words; one that does not open leaves none.
          if (content.frank && (!entry || frankOpens(entry, entry.frank, content.frank, chat.chatId, base.id, content.text))) {
            target.franked = { key: content.frank, text: content.text, seq: base.seq, clientMsgId: base.id };
            delete target.unfranked;
          } else {
            delete target.franked;
            if (entry && chat.community) target.unfranked = true;
          }
          const mentioned = mentionsUser({ chat, myUserId, senderUserId, text: content.text, entities: content.entities, repliesToMine: target.replyTo?.senderUserId === myUserId });
          if (mentioned) target.mentionsMe = true;
          else delete target.mentionsMe;
        }
        return;
      }
      case 'delete': {
        const target = byId.get(content.target);
        // R80: the sender, or in a community's chat whoever held `deleteMessages` there at that point.
        const own = target?.senderUserId === senderUserId;
        const byModerator = !own && chat.community !== undefined && target !== undefined && !target.system && !target.notice && !target.deleted
          && rights.holds(senderUserId, 'deleteMessages');
        if (target && (own || byModerator)) {
          if (byModerator) {
            target.deletedBy = senderUserId;
            add({ ...base, text: '', edited: false, deleted: false, reactions: [], notice: 'deleted_by_moderator', deletedOf: { id: target.id, senderUserId: target.senderUserId } });
          }
          target.deleted = true;
          target.text = '';
          delete target.entities;
          delete target.replyTo;
          delete target.preview;
          delete target.attachments;
          delete target.pinned; // nothing left to pin
          delete target.poll;
          delete target.mentionsMe;
          delete target.franked;
        }
        return;
      }
      case 'poll':
        add({ ...base, text: content.question, edited: false, deleted: false, reactions: [], poll: polls.start(content) });
        return;
      case 'vote':
        polls.vote(byId.get(content.target), content.target, senderUserId, content, base.sentAt);
        return;
      case 'poll_close':
        polls.close(byId.get(content.target), senderUserId, content, base.sentAt);
        return;
      case 'pin': {
        // R50: only from who may pin now, only at a message (not a system line), never a deleted one.
        const target = byId.get(content.target);
        const may = chat.community ? rights.holds(senderUserId, 'pin') : mayPin(chat, senderUserId); // R80 in a community's chat
        if (!target || target.system || target.notice || target.deleted || !may) return;
        if (!content.on) {
          delete target.pinned;
          return;
        }
        const again = target.pinned !== undefined;
        target.pinned = { by: senderUserId, order: ++pinOrder };
        if (!again) add({ ...base, text: '', edited: false, deleted: false, reactions: [], notice: 'pinned', pinOf: { id: target.id, text: '' } });
        return;
      }
      case 'history':
        return; // another device sharing earlier messages: applied to that chat, not shown here
      case 'resend_request':
      case 'resent':
        return; // R32: devices asking for and answering with messages; an answer fills its original's place
      case 'key_log_heads':
        return; // R33: devices comparing the key-log heads they verified; a mismatch is a key-log alert
      case 'callback':
      case 'callback_answer':
        return; // R93: a button press and a bot's answer to it (client.bots reads them), not lines
      case 'draft':
        return; // R51: a draft from another device of this person, kept with the chat it is for
      case 'community_admit':
        return; // R152: folded with the log entry it came in (admissionsInLog), not a line
      case 'channel_epoch_key':
        return; // R170: a wrapped channel's epoch key for its admins' devices (channels/admin-keys.ts), not a line
      case 'community_sanction':
        sanctions.statement(senderUserId, content); // R156: confirms the server's line, not a line itself
        return;
      case 'community_rights':
        // R138: the owner's signed standing; one from anyone else is shown as refused.
        if (!rights.signed(senderUserId, content)) add({ ...base, text: '', edited: false, deleted: false, reactions: [], notice: 'rights_not_signed', unconfirmed: true });
        else {
          // The server's line comes first, the owner's statement right after: the statement confirms it.
          for (const line of unconfirmedLines) if (rights.confirms(line.system ?? null)) delete line.unconfirmed;
          unconfirmedLines.length = 0;
        }
        return;
      case 'chat_info':
        // The end-to-end encrypted group name: a rename line (a repeat for new devices is not shown).
        if (!content.announce) add({ ...base, text: '', edited: false, deleted: false, reactions: [], system: { kind: 'renamed', name: content.name } });
        return;
      case 'call':
        foldCall(calls, senderUserId, content, add, base);
        return;
      case 'reaction': {
        if (!byId.has(content.target)) return;
        let perEmoji = reactions.get(content.target);
        if (!perEmoji) reactions.set(content.target, (perEmoji = new Map()));
        let users = perEmoji.get(content.emoji);
        if (!users) perEmoji.set(content.emoji, (users = new Set()));
        if (content.on) users.add(senderUserId);
        else users.delete(senderUserId);
        return;
      }
    }
  };

  const add = (item: TimelineItem) => {
    if (byId.has(item.id)) return;
    byId.set(item.id, item);
    items.push(item);
  };

  for (const m of input.messages) {
    const mine = m.senderUserId === myUserId;
    const base = { id: m.clientMsgId, chatId: m.chatId, seq: m.seq, senderUserId: m.senderUserId, sentAt: m.sentAt, state: mine ? stateOf(m.seq) : 'sent' as MessageState, mine };
    const confirmed = rights.pass(m.system);
    if (m.system) {
      const line: TimelineItem = { ...base, text: '', edited: false, deleted: false, reactions: [], system: m.system, ...(confirmed ? {} : { unconfirmed: true as const }) };
      if (!confirmed) unconfirmedLines.push(line);
      add(line);
      sanctions.line(line);
      if (m.system.kind === 'member_removed' || m.system.kind === 'member_left') groupMemberGone(calls, m.system.userId, m.sentAt); // R63: the SFU dropped them (R62)
      if (m.system.kind === 'member_removed' || m.system.kind === 'member_left') admissions.left(m.system.userId);
      if (m.system.kind === 'member_added' || m.system.kind === 'member_joined') enter(m.system.userId, m.seq);
      continue;
    }
    if (!m.envelope) continue;
    const decoded = input.decoded(m);
    if (decoded && (decoded.kind !== 'unreadable' || decoded.reason !== 'before_join')) admissions.readable(m.seq); // R152
    // R87: in a community's announcements chat the server lets votes through from anyone (R69 refuses
    // the rest), but can't tell a vote from anything else: from a member without the right, only votes count.
    const listener = chat.community?.kind === 'announcements' && chat.community.moderators !== undefined && !rights.holds(m.senderUserId, 'postAnnouncements');
    // R112: in a private channel, reactions too (the chat's summary says it is one); R156: sanctions, judged by the ban right.
    const response = decoded?.kind === 'content' && (decoded.content.kind === 'vote' || decoded.content.kind === 'community_admit' || decoded.content.kind === 'community_sanction' || (decoded.content.kind === 'reaction' && chat.community?.channel === true));
    if (decoded?.kind === 'content' && decoded.content.kind === 'community_admit') admissions.statement(m.senderUserId, decoded.content, decoded.admitted === true, m.seq);
    if (listener && decoded?.kind !== 'handshake' && !response) continue;
    if (decoded?.kind === 'handshake') {
      for (const userId of decoded.joined ?? []) enter(userId, m.seq); // R152: a user new to the group
      // Group key changes are not messages; a group started again (R36) is said once, where it happened.
      if (decoded.restarted) add({ ...base, text: '', edited: false, deleted: false, reactions: [], notice: 'encryption_restarted' });
      continue;
    }
    if (decoded?.kind !== 'content') {
      const reason = decoded?.reason ?? 'unknown_format';
      const detail = decoded?.detail !== undefined ? { unreadableDetail: decoded.detail } : {};
      const resend = RESENDABLE_REASONS.has(reason) ? { resendable: true, ...(input.resendRequested?.has(m.clientMsgId) ? { resendRequested: true } : {}) } : {};
      add({ ...base, text: '', edited: false, deleted: false, reactions: [], unreadable: true, unreadableReason: reason, ...detail, ...resend });
      continue;
    }
    apply(m.senderUserId, decoded.content, add, {
      ...base, ...(decoded.unencrypted ? { unencrypted: true } : {}), ...(decoded.missingBefore ? { missingBefore: true } : {}), ...(decoded.scheduled ? { scheduled: decoded.scheduled, sentAt: decoded.scheduled.date } : {}), ...(decoded.resent ? { resent: true } : {}),
    }, m);
  }

  if (chat.community) {
    // R159: before this device's own unsent posts
    const beforeJoin = (m: Message) => { const d = m.envelope ? input.decoded(m) : undefined; return d?.kind === 'unreadable' && d.reason === 'before_join'; };
    input.ownStanding?.(ownStanding(rights, myUserId, input.messages, { owner: chat.members.find((m) => m.role === 'owner')?.userId, beforeJoin }));
  }
  // Not yet acknowledged: shown after the log, in the order typed.
  for (const o of input.outbox) {
    if (o.chatId !== chat.chatId) continue;
    const content = input.decodedOutbox(o);
    if (!content) continue;
    const state: MessageState = o.failedCode ? 'failed' : 'sending';
    if (content.kind === 'community_admit') admissions.statement(myUserId, content, true, -1); // R155: one of this device's own, on its way
    apply(myUserId, content, add, { id: o.clientMsgId, chatId: o.chatId, seq: null, senderUserId: myUserId, sentAt: o.createdAt, state, mine: true });
  }

  // Still uploading: shown last, with their progress; they reach the others only when complete.
  for (const { upload: u, progress } of input.uploads ?? []) {
    if (u.chatId !== chat.chatId || byId.has(u.clientMsgId) || u.editOf) continue; // R150: new files for a message show once sent
    const attachments = u.files.map((f) => ({ ...f.attachment, blobId: f.blobId ?? '', sha256: f.sha256 ?? '' }));
    const state: MessageState = progress.state === 'failed' ? 'failed' : 'sending';
    const content: Content = {
      kind: 'text', text: u.text, attachments, ...(u.entities ? { entities: u.entities } : {}), ...(u.replyTo ? { replyTo: u.replyTo } : {}),
      ...(u.thread ? { thread: u.thread } : {}), ...(u.noForwardName ? { noForwardName: true as const } : {}), ...(u.imported ? { imported: u.imported } : {}),
    };
    apply(myUserId, content, add, { id: u.clientMsgId, chatId: u.chatId, seq: null, senderUserId: myUserId, sentAt: u.createdAt, state, mine: true });
    const item = byId.get(u.clientMsgId);
    if (item) item.upload = progress;
  }

  polls.finish(byId);
  foldThreads(items, byId, input.threadSeen);
  for (const item of items) {
    if (!item.pinOf) continue;
    const target = byId.get(item.pinOf.id);
    item.pinOf.text = target && !target.deleted ? target.text : '';
  }
  for (const [target, perEmoji] of reactions) {
    const item = byId.get(target);
    if (!item) continue;
    item.reactions = [...perEmoji].filter(([, users]) => users.size > 0).map(([emoji, users]) => ({ emoji, userIds: [...users] }));
  }
  sanctions.finish(input.sanctionsElsewhere?.()); // R160
  input.sanctionsSigned?.(sanctions.signed());
  input.rightsDisputes?.(rightsDisputes(chat, rights));
  const notAdmitted = admissions.notAdmitted();
  for (const userId of notAdmitted) {
    // R152: said where they entered; this device holds its messages to the chat meanwhile.
    const seq = entries.get(userId) ?? 0;
    const at = items.findIndex((i) => i.seq === null || i.seq > seq);
    const line: TimelineItem = { id: `not-admitted:${userId}:${seq}`, chatId: chat.chatId, seq, senderUserId: userId, sentAt: input.messages.find((m) => m.seq === seq)?.sentAt ?? 0, state: 'sent', mine: false, text: '', edited: false, deleted: false, reactions: [], notice: 'member_not_admitted', notAdmitted: userId };
    items.splice(at < 0 ? items.length : at, 0, line);
  }
  input.admissionDisputes?.(notAdmitted);
  input.admissionAwaited?.(admissions.awaiting());
  return items;
}

/** R61: an offer makes a call's line; the other entries of the call (from someone else than the caller, for answers and declines) say how it went. */
function foldCall(calls: Map<string, TimelineItem>, senderUserId: string, content: CallContent, add: (item: TimelineItem) => void, base: Omit<TimelineItem, 'text' | 'edited' | 'deleted' | 'reactions'>): void {
  if (content.action === 'group_join' || content.action === 'group_leave') return foldGroupCall(calls, senderUserId, content, add, base);
  const line = calls.get(content.callId);
  if (content.action === 'offer') {
    if (line || !content.media) return;
    const item: TimelineItem = { ...base, text: '', edited: false, deleted: false, reactions: [], call: { callId: content.callId, media: content.media, outcome: 'ringing' } };
    calls.set(content.callId, item);
    add(item);
    return;
  }
  const call = line?.call;
  if (!line || !call || call.outcome === 'ended' || call.outcome === 'declined' || call.outcome === 'missed' || call.outcome === 'cancelled' || call.outcome === 'failed') return;
  const caller = line.senderUserId;
  switch (content.action) {
    case 'answer':
      if (senderUserId !== caller && call.outcome === 'ringing') Object.assign(call, { outcome: 'answered', answeredBy: senderUserId, answeredAt: base.sentAt });
      return;
    case 'decline':
      if (senderUserId !== caller && call.outcome === 'ringing') call.outcome = 'declined';
      return;
    case 'end':
      if (call.outcome === 'answered') {
        call.outcome = content.reason === 'failed' ? 'failed' : 'ended';
        if (content.durationMs !== undefined) call.durationMs = content.durationMs;
      } else call.outcome = content.reason === 'hangup' || content.reason === 'cancelled' ? (senderUserId === caller ? 'cancelled' : 'declined') : content.reason === 'failed' ? 'failed' : 'missed';
      return;
    case 'ice':
      return;
  }
}

/** R157: a live place that was not stopped and whose period had not run out at `at` (the message's own time plus the period). */
export function isLive(item: Pick<TimelineItem, 'place' | 'sentAt'>, at: number): boolean {
  const live = item.place?.live;
  if (!live || live.stopped) return false;
  return live.period === LIVE_UNTIL_STOPPED || at <= item.sentAt + live.period * 1000;
}
