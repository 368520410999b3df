import type { ChatSummary, Message } from '@parley/protocol';
import type { ChatView } from './client-options.ts';
import type { ChatEncryption } from './e2ee/chat-encryption.ts';
import type { Uploads } from './files/uploads.ts';
import type { LogSync } from './log-sync.ts';
import { isNoteToSelf } from './note-to-self.ts';
import type { Outbox } from './outbox.ts';
import { unreadCount } from './receipts.ts';
import { unreadMentions } from './mentions.ts';
import type { StoredMessage } from './store.ts';
import { foldTimeline, type TimelineItem } from './timeline.ts';
import { communityRightsNow, type OwnStanding } from './moderation/rights-in-log.ts';
import type { SanctionStatement } from './moderation/sanctions-in-log.ts';
import { awaitingRights } from './moderation/rights-hold.ts';
import type { TypingState } from './typing.ts';

export interface ChatViewsDeps {
  userId: string;
  chats: ReadonlyMap<string, ChatSummary>;
  sync: LogSync;
  outbox: Outbox;
  typing: TypingState;
  enc(): ChatEncryption | undefined;
  uploads(): Uploads;
  threadSeen(chatId: string, rootId: string): number;
  /** R159: ClientOptions.communities.rightsConfirmWaitMs. */
  rightsWaitMs?: number | undefined;
}

/**
 * What the client shows of its local copy: each chat's timeline (folded from its log, the outbox
 * and uploads; cached until the chat changes), the chat list and search.
 */
export class ChatViews {
  readonly #d: ChatViewsDeps;
  readonly #cache = new Map<string, TimelineItem[]>();
  readonly #disputes = new Map<string, string[]>();
  readonly #notAdmitted = new Map<string, string[]>(); // R152, per chat
  readonly #awaiting = new Map<string, boolean>(); // R155, per announcements chat
  readonly #standing = new Map<string, OwnStanding>(); // R159, per community chat
  readonly #sanctions = new Map<string, readonly SanctionStatement[]>(); // R160, per announcements chat
  readonly #summaryRights = new Map<string, readonly string[]>(); // R159: the user's rights by the summary at the last fold
  readonly #granted = new Map<string, NonNullable<OwnStanding['granted']>>(); // R159: rights the summary gained, and when

  constructor(deps: ChatViewsDeps) {
    this.#d = deps;
  }

  /**
   * The chat changed (or every chat, without an id): its timeline is folded again when next asked for,
   * and a message the outbox holds by that fold (R152, R159) is judged again now.
   */
  invalidate(chatId?: string): void {
    if (!chatId) {
      this.#cache.clear();
      this.#d.outbox.chatChanged();
      return;
    }
    this.#cache.delete(chatId);
    this.#d.outbox.chatChanged(chatId);
    const changed = this.#d.chats.get(chatId);
    if (changed?.community) this.#grant(changed); // R159: each change's summary, so a grant is seen when it comes
    // R152: the community's other chats judge their members by what its announcements chat admits.
    const community = this.#d.chats.get(chatId)?.community;
    if (community?.kind !== 'announcements') return;
    for (const chat of this.#d.chats.values()) {
      if (chat.community?.communityId !== community.communityId || chat.chatId === chatId) continue;
      this.#cache.delete(chat.chatId);
      this.#d.outbox.chatChanged(chat.chatId);
    }
  }

  /** The chat list, latest first; `sorted: false`: in no order, folding no timeline (a gateway wanting kinds and members). */
  chats(opts: { sorted?: boolean } = {}): ChatView[] {
    const now = Date.now();
    const views = [...this.#d.chats.values()].filter((chat) => this.#listed(chat)).map((chat) => this.#view(chat, now));
    return opts.sorted === false ? views : views.sort((a, b) => (b.lastItem?.sentAt ?? b.createdAt) - (a.lastItem?.sentAt ?? a.createdAt));
  }

  /**
   * One chat's view, folding no other chat. A bot's gateway asks for it with each message it takes
   * in (issue 14's 100 msg/s): building every chat's view for one was most of its CPU.
   */
  chat(chatId: string): ChatView | undefined {
    const chat = this.#d.chats.get(chatId);
    return chat && this.#listed(chat) ? this.#view(chat, Date.now()) : undefined;
  }

  #listed(chat: ChatSummary): boolean {
    return !this.#d.enc()?.isSelfChat(chat) || this.timeline(chat.chatId).length > 0;
  }

  /**
   * `lastItem`, `mentions` and `unread` are read from the timeline and the log when first asked
   * for, then kept: a caller that wants the chat's kind or members (the gateway, per message) does
   * not fold its timeline again after each message.
   */
  #view(chat: ChatSummary, now: number): ChatView {
    const { userId, typing, sync } = this.#d;
    const view = { ...chat, title: this.#title(chat), typing: typing.who(chat.chatId, now), noteToSelf: isNoteToSelf(chat, userId), encryption: this.#d.enc()?.encryption(chat.chatId) ?? 'off' } as ChatView;
    const lazy = <K extends 'lastItem' | 'mentions' | 'unread'>(key: K, read: () => ChatView[K]) => {
      Object.defineProperty(view, key, {
        enumerable: true, configurable: true,
        get: () => {
          const value = read();
          Object.defineProperty(view, key, { value, enumerable: true, configurable: true, writable: true });
          return value;
        },
        set: (value: ChatView[K]) => Object.defineProperty(view, key, { value, enumerable: true, configurable: true, writable: true }),
      });
    };
    lazy('lastItem', () => this.timeline(chat.chatId).at(-1));
    lazy('mentions', () => unreadMentions(chat, this.timeline(chat.chatId), userId));
    lazy('unread', () => unreadCount(chat, sync.log(chat.chatId), userId));
    return view;
  }

  timeline(chatId: string): TimelineItem[] {
    const cached = this.#cache.get(chatId);
    if (cached) return cached;
    const chat = this.#d.chats.get(chatId);
    if (!chat) return [];
    const enc = this.#d.enc();
    const items = foldTimeline({
      chat,
      myUserId: this.#d.userId,
      messages: this.#d.sync.log(chatId) as readonly Message[],
      decoded: (m) => (m as StoredMessage).decoded,
      outbox: this.#d.outbox.items(),
      decodedOutbox: (o) => this.#d.outbox.content(o.clientMsgId),
      ...(enc ? { resendRequested: enc.resends.requested(chatId) } : {}),
      uploads: this.#d.uploads().pending(chatId),
      threadSeen: (rootId) => this.#d.threadSeen(chatId, rootId),
      rightsDisputes: (userIds) => this.#disputes.set(chatId, userIds),
      ...(chat.community && chat.community.kind !== 'announcements' ? { admittedInCommunity: (u: string) => this.#admittedInCommunity(chat.community?.communityId ?? '', u) } : {}),
      admissionDisputes: (userIds) => this.#notAdmitted.set(chatId, userIds),
      ownStanding: (standing) => this.#standing.set(chatId, { ...standing, ...this.#grant(chat) }),
      ...(chat.community?.kind === 'announcements' ? { sanctionsSigned: (st: readonly SanctionStatement[]) => this.#sanctions.set(chatId, st) } : {}),
      ...(chat.community && chat.community.kind !== 'announcements' ? { sanctionsElsewhere: () => this.#announcementsSanctions(chat.community?.communityId ?? '') } : {}),
      ...(enc ? { admissionAwaited: (awaiting: boolean) => this.#awaiting.set(chatId, awaiting) } : {}),
    });
    this.#cache.set(chatId, items);
    return items;
  }

  /** R138: members whose rights the server's summary of this community chat states otherwise than the owner's signed standing. */
  rightsDisputes(chatId: string): string[] {
    this.timeline(chatId);
    return this.#disputes.get(chatId) ?? [];
  }

  /** R152: who is in this community chat with no admin's word for it; this device sends nothing there meanwhile. */
  notAdmitted(chatId: string): string[] {
    // Only a community chat judges entries (admissionsInLog): another needs no fold (each send asks; a bot's busy chat grows).
    if (!this.#d.chats.get(chatId)?.community) return [];
    this.timeline(chatId);
    return this.#notAdmitted.get(chatId) ?? [];
  }

  /** R159: the rights the chat's summary gave this user since it was last looked at (a grant whose line may not be in the log yet). */
  #grant(chat: ChatSummary): Pick<OwnStanding, 'granted'> {
    const now = communityRightsNow(chat, this.#d.userId) ?? [];
    const before = this.#summaryRights.get(chat.chatId);
    this.#summaryRights.set(chat.chatId, now);
    const gained = before ? now.filter((r) => !before.includes(r)) : [];
    if (gained.length > 0) this.#granted.set(chat.chatId, { at: Date.now(), rights: gained });
    const granted = this.#granted.get(chat.chatId);
    return granted ? { granted } : {};
  }

  /** R159: what this device's log of a community chat says of its user's rights at its end (undefined: no community chat). */
  standing(chatId: string): OwnStanding | undefined {
    this.timeline(chatId);
    return this.#standing.get(chatId);
  }

  /** R159: one of this user's actions in the chat waits for the owner's signed statement of its right (end-to-end encrypted only). */
  rightsAwaited(chatId: string): boolean {
    const chat = this.#d.chats.get(chatId);
    if (!chat?.community || !this.#d.enc()) return false;
    const waiting = this.#d.outbox.items().filter((o) => o.chatId === chatId && !o.failedCode).map((o) => ({ content: this.#d.outbox.content(o.clientMsgId), createdAt: o.retriedAt ?? o.createdAt }));
    if (waiting.length === 0) return false;
    const items = this.timeline(chatId);
    return awaitingRights(chat, this.#standing.get(chatId), this.#d.userId, waiting, (id) => items.find((i) => i.id === id)?.senderUserId, this.#d.rightsWaitMs);
  }

  /** R155: in a community's announcements chat: whether this user waits for an admin to admit them. */
  awaitingAdmission(chatId: string): boolean {
    this.timeline(chatId);
    return this.#awaiting.get(chatId) ?? false;
  }

  /** R160: the sanction statements counted in the community's announcements chat on this device (they confirm mutes in its other chats). */
  #announcementsSanctions(communityId: string): readonly SanctionStatement[] {
    const announcements = [...this.#d.chats.values()].find((c) => c.community?.communityId === communityId && c.community.kind === 'announcements');
    if (!announcements) return [];
    this.timeline(announcements.chatId);
    return this.#sanctions.get(announcements.chatId) ?? [];
  }

  /** R152: a member of the community's announcements chat (every member is) whom it does not refuse; undefined when this device has no such chat. */
  #admittedInCommunity(communityId: string, userId: string): boolean | undefined {
    const announcements = [...this.#d.chats.values()].find((c) => c.community?.communityId === communityId && c.community.kind === 'announcements');
    if (!announcements) return undefined;
    return announcements.members.some((m) => m.userId === userId) && !this.notAdmitted(announcements.chatId).includes(userId);
  }

  /** Case-insensitive search through the text of every message this device holds. */
  search(query: string): { chatId: string; item: TimelineItem }[] {
    const q = query.trim().toLocaleLowerCase();
    if (!q) return [];
    const hits: { chatId: string; item: TimelineItem }[] = [];
    for (const chatId of this.#d.chats.keys()) {
      for (const item of this.timeline(chatId)) {
        if (!item.deleted && item.text.toLocaleLowerCase().includes(q)) hits.push({ chatId, item });
      }
    }
    return hits.sort((a, b) => b.item.sentAt - a.item.sentAt);
  }

  #title(chat: ChatSummary): string {
    const me = this.#d.userId;
    // An unnamed group is called by its first members (at most five: a 5,000-member one too, issue 12).
    if (chat.kind === 'group') return this.#d.enc()?.groupName(chat.chatId) ?? (chat.name || chat.members.filter((m) => m.userId !== me).slice(0, 5).map((m) => m.displayName).join(', '));
    return (chat.members.find((m) => m.userId !== me) ?? chat.requested?.find((r) => r.userId !== me) ?? chat.members[0])?.displayName ?? chat.name;
  }
}
