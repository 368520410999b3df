import { MAX_ATTACHMENTS, MAX_THREAD_QUOTE_CHARS, ParleyError, wrappedPostOfRoot, type Attachment, type ChatPrefsUpdate, type ChatSummary, type Content, type Forwarded, type LinkPreview, type MessageEntity, type ReplyMarkup, type ReplyKeyboard, type ForceReply } from '@parley/protocol';
import type { Drafts } from './drafts.ts';
import { checkedContent, withEntities } from './formatting/checked-content.ts';
import type { FileToSend, PendingUpload } from './files/types.ts';
import type { Uploads } from './files/uploads.ts';
import type { AddOptions, Outbox } from './outbox.ts';
import { mayDeleteOthers, pinnedItems, type TimelineItem } from './timeline.ts';
import { randomId } from './encoding.ts';
import { frank } from './moderation/franking.ts';
import type { TypingState } from './typing.ts';

export interface ChatWriterDeps {
  userId: string;
  chat(chatId: string): ChatSummary | undefined;
  timeline(chatId: string): readonly TimelineItem[];
  mayPin(chatId: string): boolean;
  /** R50/R184: the server's PARLEY_CHANNEL_MAX_PINS (its `/info`), which a channel's devices hold its pins to; undefined: none said. */
  maxChannelPins?(): Promise<number | undefined>;
  typing: TypingState;
  drafts: Drafts;
  outbox: Outbox;
  uploads(): Uploads;
  /** R177: takes back the mark of a deleted comment on a wrapped post (`wrappedChannels.commentDeleted`). */
  commentDeleted?(communityId: string, threadRoot: string, commentId: string): Promise<unknown>;
}

/**
 * What a person writes into chats: texts, edits, deletions, reactions, forwards, files and pins,
 * each checked here (nothing malformed is ever queued) and put in the outbox, which sends it
 * encrypted when online.
 */
export class ChatWriter {
  readonly #d: ChatWriterDeps;

  constructor(deps: ChatWriterDeps) {
    this.#d = deps;
  }

  /**
   * Queues content for a chat this device knows; resolves with its client id. R83: in a community's
   * chat every text with words (a message, a file's caption, a forward, a bot's reply, an imported
   * message) goes franked: a fresh key inside the content, the commitment beside it, so a member can
   * prove what its sender wrote (R84) and receivers check it (R83b). An edit too, over its new text
   * and its own client id (R122). Content that already carries its franking (an import does its own)
   * goes as it is.
   */
  async post(chatId: string, content: Content, opts: AddOptions = {}): Promise<string> {
    const chat = this.#d.chat(chatId);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    if (!chat.community || (content.kind !== 'text' && content.kind !== 'edit') || content.text === '' || content.frank !== undefined) return this.#d.outbox.add(chatId, content, opts);
    const clientMsgId = opts.clientMsgId ?? randomId();
    const { key, tag } = await frank(chatId, clientMsgId, content.text);
    return this.#d.outbox.add(chatId, { ...content, frank: key }, { ...opts, clientMsgId, frank: tag });
  }

  /**
   * `threadQuote` (R114, with `thread`): a comment's quote of the channel post it is on, cut to MAX_THREAD_QUOTE_CHARS.
   * `forwarded` (R202): a public channel's post forwarded by this device, `channel.name` naming it (as R186's).
   */
  async sendText(chatId: string, text: string, opts: { replyTo?: string; entities?: readonly MessageEntity[]; preview?: LinkPreview; noForwardName?: boolean; thread?: string; threadQuote?: string; forwarded?: Forwarded } = {}): Promise<string> {
    const quote = opts.threadQuote?.trim();
    const content = checkedContent({
      kind: 'text', text, ...withEntities(opts.entities), ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.preview ? { preview: opts.preview } : {}),
      ...(opts.thread ? { thread: opts.thread, ...(quote ? { threadQuote: cutQuote(quote) } : {}) } : {}),
      ...(opts.noForwardName ? { noForwardName: true as const } : {}), ...(opts.forwarded ? { forwarded: opts.forwarded } : {}),
    });
    this.#d.typing.sent(chatId);
    this.#d.drafts.clear(chatId);
    return this.post(chatId, content);
  }

  async edit(chatId: string, targetId: string, text: string, opts: { entities?: readonly MessageEntity[] } = {}): Promise<void> {
    const content = checkedContent({ kind: 'edit', target: targetId, text, ...withEntities(opts.entities) });
    this.#d.typing.sent(chatId);
    await this.post(chatId, content);
  }

  /**
   * R56: deleting one's own message with files also releases its blobs; one still uploading is cancelled.
   * R80: in a community's chat, someone else's message only with `deleteMessages` (else `forbidden`);
   * elsewhere such a deletion is sent as before and every receiving device ignores it.
   */
  async deleteMessage(chatId: string, targetId: string): Promise<void> {
    const target = this.#d.timeline(chatId).find((i) => i.id === targetId);
    if (target?.upload) return this.#d.uploads().cancel(targetId);
    const chat = this.#d.chat(chatId);
    if (target && !target.mine && chat?.community && !mayDeleteOthers(chat, this.#d.userId)) {
      throw new ParleyError('forbidden', 'deleting other people\'s messages takes the deleteMessages right of a community');
    }
    // R150: with the files an edit replaced (a send releases at most MAX_ATTACHMENTS; the rest age out with the chat's references).
    const release = target?.mine ? [...new Set([...(target.attachments ?? []).map((a) => a.blobId), ...(target.replacedBlobIds ?? [])])].filter((id) => id !== '').slice(0, MAX_ATTACHMENTS) : [];
    await this.post(chatId, { kind: 'delete', target: targetId }, { release });
    // R177: a comment on a wrapped post (its channel's discussion is a chat of the channel's community): its mark goes now,
    // from this device; if that fails (offline), the wrapped view takes it back when it next sees the deletion.
    if (target?.threadRoot !== undefined && chat?.community && wrappedPostOfRoot(target.threadRoot) !== undefined && this.#d.commentDeleted) {
      await this.#d.commentDeleted(chat.community.communityId, target.threadRoot, targetId)
        .catch((err: unknown) => console.warn('parley: taking back a deleted comment\'s mark failed (the channel view tries again)', err));
    }
  }

  async react(chatId: string, targetId: string, emoji: string, on: boolean): Promise<void> {
    // R112: a subscriber's reaction in a private channel passes as a response, not a post (as a vote does, R87).
    const listener = this.#d.chat(chatId)?.community?.channel === true && this.#d.chat(chatId)?.community?.mayPost === false;
    await this.post(chatId, { kind: 'reaction', target: targetId, emoji, on }, listener ? { vote: true } : {});
  }

  /**
   * R49: this device encrypts the message's text (with formatting and link preview, as it is now
   * after edits) anew for each target, with `forwarded` naming the original sender (kept from the
   * first forward when it was already one; left out when its sender asked). The server sees
   * ordinary new messages. Files are re-shared, never uploaded again (R54).
   */
  async forward(targetChatIds: readonly string[], sourceChatId: string, itemId: string): Promise<string[]> {
    const source = this.#d.chat(sourceChatId);
    const item = this.#d.timeline(sourceChatId).find((i) => i.id === itemId);
    if (!source || !item || item.deleted || item.unreadable || item.system || item.notice || item.upload || (!item.text && !item.attachments?.length)) {
      throw new ParleyError('bad_request', 'not a message that can be forwarded');
    }
    if (targetChatIds.some((id) => !this.#d.chat(id))) throw new ParleyError('not_member', 'unknown chat');
    const name = source.members.find((m) => m.userId === item.senderUserId)?.displayName;
    const forwarded: Forwarded = item.forwarded ?? {
      ...(item.noForwardName || !name ? {} : { from: { userId: item.senderUserId, displayName: name } }),
      sentAt: item.sentAt,
    };
    const content = checkedContent({
      kind: 'text', text: item.text, ...withEntities(item.entities), ...(item.preview ? { preview: item.preview } : {}), forwarded,
      ...(item.attachments?.length ? { attachments: item.attachments } : {}),
    });
    const blobs = (item.attachments ?? []).map((a) => a.blobId);
    const ids: string[] = [];
    for (const chatId of new Set(targetChatIds)) ids.push(await this.post(chatId, content, { blobs }));
    return ids;
  }

  /** `thread`: the files go into that message's thread (R89), and the chat's draft stays. `forwarded`: R202. */
  sendFiles(chatId: string, files: FileToSend[], opts: { text?: string; entities?: MessageEntity[]; replyTo?: string; thread?: string; noForwardName?: boolean; forwarded?: Forwarded; replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply } = {}): Promise<string> {
    if (!this.#d.chat(chatId)) return Promise.reject(new ParleyError('not_member', 'unknown chat'));
    this.#d.typing.sent(chatId);
    if (!opts.thread) this.#d.drafts.clear(chatId);
    return this.#d.uploads().add(chatId, files, opts);
  }

  /** Every file of an upload is stored: its message goes into the outbox under the id it was shown with. */
  async uploadComplete(upload: PendingUpload, attachments: Attachment[]): Promise<void> {
    if (!this.#d.chat(upload.chatId)) throw new ParleyError('not_member', 'unknown chat');
    const blobs = attachments.map((a) => a.blobId);
    if (upload.editOf) { // R150: the files replace the message's, as an edit sent under the upload's id
      const edit = checkedContent({ kind: 'edit', target: upload.editOf, text: upload.text, ...withEntities(upload.entities), ...(upload.replyMarkup ? { replyMarkup: upload.replyMarkup } : {}), attachments });
      await this.post(upload.chatId, edit, { clientMsgId: upload.clientMsgId, createdAt: upload.createdAt, blobs });
      return;
    }
    const content = checkedContent({
      kind: 'text', text: upload.text, ...withEntities(upload.entities), ...(upload.replyTo ? { replyTo: upload.replyTo } : {}),
      ...(upload.thread ? { thread: upload.thread } : {}), ...(upload.noForwardName ? { noForwardName: true as const } : {}), ...(upload.forwarded ? { forwarded: upload.forwarded } : {}), ...(upload.imported ? { imported: upload.imported } : {}), ...(upload.replyMarkup ? { replyMarkup: upload.replyMarkup } : {}), ...(upload.replyKeyboard ? { replyKeyboard: upload.replyKeyboard } : {}), ...(upload.forceReply ? { forceReply: upload.forceReply } : {}), attachments,
    });
    await this.post(upload.chatId, content, { clientMsgId: upload.clientMsgId, createdAt: upload.createdAt, blobs });
  }

  /**
   * R50: refused here (`forbidden`) where this user may not pin; in a private channel (R112: the server
   * can't see pins there) a pin past the server's PARLEY_CHANNEL_MAX_PINS pinned posts: `channel_pin_limit`.
   */
  async pin(chatId: string, itemId: string, on: boolean): Promise<void> {
    if (!this.#d.mayPin(chatId)) throw new ParleyError('forbidden', 'only admins and the owner pin in a group (in a community: the pin right)');
    if (on && this.#d.chat(chatId)?.community?.channel) {
      const pinned = pinnedItems(this.#d.timeline(chatId));
      const max = pinned.some((i) => i.id === itemId) ? undefined : await this.#d.maxChannelPins?.();
      if (max !== undefined && pinned.length >= max) throw new ParleyError('channel_pin_limit', `this channel has ${max} pinned posts: unpin one first`);
    }
    await this.post(chatId, { kind: 'pin', target: itemId, on });
  }
}

/** R48: the chat's summary with this person's own settings changed as `update` says (a zero or false drops the setting). */
export function withPrefs(chat: ChatSummary, update: ChatPrefsUpdate): ChatSummary {
  const prefs = { ...chat.prefs };
  if (update.archived !== undefined) { if (update.archived) prefs.archived = true; else delete prefs.archived; }
  if (update.mutedUntil !== undefined) { if (update.mutedUntil > 0) prefs.mutedUntil = update.mutedUntil; else delete prefs.mutedUntil; }
  if (update.markedUnread !== undefined) { if (update.markedUnread) prefs.markedUnread = true; else delete prefs.markedUnread; }
  const { prefs: _old, ...rest } = chat;
  return Object.keys(prefs).length > 0 ? { ...rest, prefs } : rest;
}

/** R114: a quote cut to MAX_THREAD_QUOTE_CHARS, at a whole character (not inside a surrogate pair), with an ellipsis when cut. */
function cutQuote(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_THREAD_QUOTE_CHARS ? text : `${chars.slice(0, MAX_THREAD_QUOTE_CHARS - 1).join('')}…`;
}
