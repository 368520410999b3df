import type { ChatSummary, ServerFrameOf } from '@parley/protocol';
import type { ContentCodec } from './codec.ts';
import { DEFAULT_RECONCILE_RANK_DELAY_MS, DEFAULT_RESEND_ASK_AFTER_MS, DEFAULT_RESTART_AFTER_WAITING_MS, DEFAULT_ROTATE_AFTER_MS } from './client-options.ts';
import type { ClientCore } from './client-core.ts';
import { AcceptanceWait } from './chat-requests.ts';
import type { Drafts } from './drafts.ts';
import { ChatEncryption } from './e2ee/chat-encryption.ts';
import { lastSentBy } from './log-sync.ts';
import { communityHolds } from './moderation/rights-hold.ts';
import { mayAutoPost } from './moderation/rights-in-log.ts';
import { Outbox } from './outbox.ts';

export interface SendParts {
  /** R44: what is written in a direct chat waits until the other person can read it. */
  acceptance: AcceptanceWait;
  outbox: Outbox;
  /** Each chat's encryption group (absent without MLS). */
  enc: ChatEncryption | undefined;
}

/**
 * Builds what sends: the outbox, encoding with `codec` through R44's acceptance wait and the
 * community holds (R152, R159), and the chats' encryption groups it waits for.
 */
export function sendParts(c: ClientCore, x: { codec: ContentCodec; drafts(): Drafts; openDirect(userId: string): Promise<ChatSummary> }): SendParts {
  const { conn, sync, chats, options, changed, post } = c;
  const { userId, deviceId } = c.api;
  const { mls, keyPackages, keys, hold, ownLog } = c.keys;
  const online = () => conn.state === 'online';
  const acceptance = new AcceptanceWait({
    userId, chat: (chatId) => chats.get(chatId),
    ...(mls ? { groupMembers: (chatId: string) => mls.members(chatId) } : {}),
  });
  let enc: ChatEncryption | undefined;
  const outbox = new Outbox({
    userId, deviceId, store: options.store, online, changed,
    codec: communityHolds(acceptance.wrap(x.codec), { userId, e2ee: mls !== undefined, waitMs: options.communities?.rightsConfirmWaitMs, chat: (id) => chats.get(id), views: c.views }), // R152, R159
    send: (item, envelope) => conn.request<ServerFrameOf<'ack'>>({
      type: 'send', rid: conn.newRid(), chatId: item.chatId, clientMsgId: item.clientMsgId, envelope,
      ...(item.blobs?.length ? { blobs: item.blobs } : {}), ...(item.release?.length ? { release: item.release } : {}), ...(item.frank ? { frank: item.frank } : {}), ...(item.vote ? { vote: true } : {}), ...(item.quiet ? { quiet: true } : {}),
    }),
    receive: (message) => sync.receive(message),
    prev: (chatId) => lastSentBy(sync.log(chatId), userId, deviceId),
    notReady: (chatId) => enc?.schedule(chatId, 0),
    held: (chatId) => enc?.held(chatId),
    mayAutoPost: (chatId) => mayAutoPost(chats.get(chatId), userId),
    onError: (error) => c.backgroundError({ task: 'encryption-group', error }),
  });
  enc = mls && keyPackages
    ? new ChatEncryption({
      userId, deviceId, mls, keys, keyPackages, store: options.store, hold, sync, online, rest: c.rest, history: c.history, post, changed,
      rotateAfterMs: options.mls?.rotateAfterMs ?? DEFAULT_ROTATE_AFTER_MS,
      rankDelayMs: options.mls?.reconcileRankDelayMs ?? DEFAULT_RECONCILE_RANK_DELAY_MS,
      chat: (chatId) => chats.get(chatId),
      chats: () => chats.values(),
      commit: (f) => conn.request<ServerFrameOf<'ack'>>({ type: 'commit', rid: conn.newRid(), ...f }),
      claim: (chatId, userIds) => c.api.claimKeyPackages(chatId, userIds),
      openDirect: x.openDirect,
      outboxContents: (chatId) => outbox.contents(chatId),
      flushOutbox: (chatId) => (chatId === undefined ? outbox.flush() : outbox.retry(chatId)),
      onError: c.backgroundError,
      onDraft: (content) => x.drafts().take(content),
      resendAskAfterMs: options.mls?.resendAskAfterMs === undefined ? DEFAULT_RESEND_ASK_AFTER_MS : options.mls.resendAskAfterMs,
      restartAfterWaitingMs: options.mls?.restartAfterWaitingMs ?? DEFAULT_RESTART_AFTER_WAITING_MS,
      ...(options.mls?.maxAddsPerCommit !== undefined ? { maxAddsPerCommit: options.mls.maxAddsPerCommit } : {}),
      onKeyLogSplit: (alert) => ownLog.report(alert),
      keyLogHeads: options.mls?.keyLogHeads,
    })
    : undefined;
  return { acceptance, outbox, enc };
}
