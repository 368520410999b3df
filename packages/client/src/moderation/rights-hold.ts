import type { ChatSummary, CommunityRight, Content } from '@parley/protocol';
import { CodecFailed, CodecWaiting, type ContentCodec } from '../codec.ts';
import { admissionHold } from './admissions.ts';
import { communityRightsNow, type OwnStanding } from './rights-in-log.ts';

/** R159: how long a moderator's action waits for the owner's signed statement of its right, by default. */
export const RIGHTS_CONFIRM_WAIT_MS = 30_000;

/** Kinds a member without `postAnnouncements` may send in announcements (R87, R112, R152, R156) or that only devices send (R32, R33). */
const NOT_POSTS: ReadonlySet<Content['kind']> = new Set(['vote', 'reaction', 'community_admit', 'community_sanction', 'community_rights', 'resend_request', 'resent', 'key_log_heads', 'history', 'draft']);

/**
 * R159: the right other members' devices judge this content by (R80, R87, R152, R156) when this
 * user sends it to a community's chat; undefined when none (the owner's own statements are R138's chain).
 */
export function rightNeeded(chat: ChatSummary, content: Content, userId: string, senderOf: (clientMsgId: string) => string | undefined): CommunityRight | undefined {
  if (!chat.community) return undefined;
  switch (content.kind) {
    case 'community_sanction': return 'ban';
    case 'community_admit': return content.userIds?.length || content.inviteKey || content.open ? 'invite' : undefined;
    case 'pin': return 'pin';
    case 'delete': {
      const sender = senderOf(content.target);
      if (sender !== undefined && sender !== userId) return 'deleteMessages';
      break;
    }
  }
  return chat.community.kind === 'announcements' && !NOT_POSTS.has(content.kind) ? 'postAnnouncements' : undefined;
}

/**
 * R159: whether an action needing `right` waits for the owner's signed statement. It does while this
 * device's log is behind its summary (the server's line granting it may be on its way). Then, once the
 * owner's signed chain started in the log, while the chain does not give the user the right and the
 * server granted it (its latest `rights_changed` line about the user, or a change of the summary this
 * client saw less than `waitMs` before the action): a grant the owner has not confirmed, which other
 * devices would ignore. Before the chain (a newcomer that could not read the owner's earlier
 * statements), while such a grant is less than `waitMs` older than the action and the owner is in the
 * chat (the owner's device states the standing next, R138); an older one, a community whose owner
 * never states, or a grant after which the owner sent what this device can't read (from before it
 * joined the group: the statement may be there, out of reach) keeps the server's word. A right the log says is gone is nothing to wait for: sent as
 * before, ignored by every device (R80).
 */
export function awaitsConfirmation(chat: ChatSummary, standing: OwnStanding | undefined, userId: string, right: CommunityRight, createdAt: number, waitMs: number): boolean {
  if (!standing || standing.logEnd < chat.lastSeq) return true;
  const line = standing.lastLine?.rights.includes(right) ? standing.lastLine : undefined;
  // A grant the summary showed counts while the summary still gives the right (a right taken since is nothing to wait for).
  const seen = standing.granted?.rights.includes(right) && standing.granted.at >= createdAt - waitMs && communityRightsNow(chat, userId)?.includes(right) === true;
  if (standing.signed) return !standing.rights.includes(right) && (line !== undefined || seen === true);
  // The owner's statement after the line may be one this device can never read (sent before it joined the group): nothing to wait for.
  if (standing.ownerUnreadAfterLine && standing.lastLine?.rights.includes(right)) return false;
  const recent = (line !== undefined && line.sentAt >= createdAt - waitMs) || seen === true;
  return recent && chat.members.some((m) => m.role === 'owner' && m.userId !== userId);
}

export interface RightsHoldDeps {
  userId: string;
  chat(chatId: string): ChatSummary | undefined;
  /** The chat's log as this device holds it, folded (ChatViews.standing). */
  standing(chatId: string): OwnStanding | undefined;
  /** Who sent a message of the chat (a deletion of someone else's needs `deleteMessages`). */
  senderOf(chatId: string, clientMsgId: string): string | undefined;
  waitMs: number;
  now?: () => number;
}

/**
 * R159: the codec, made to hold (the outbox keeps it, shown as sending) a moderator's action until the
 * owner's signed statement of the right is in this device's log of the chat, so it lands after it and
 * every device counts it; after `waitMs` (from when it was written, or from this client's start for
 * one written before) it fails with `rights_unconfirmed`. The outbox tries it again when the chat
 * changes, and by itself at that deadline (CodecWaiting's `deadlineMs`).
 */
export function rightsHold(codec: ContentCodec, d: RightsHoldDeps): ContentCodec {
  const now = d.now ?? Date.now;
  const startedAt = now();
  return {
    encode: async (chatId, content, options) => {
      const chat = d.chat(chatId);
      const right = chat && rightNeeded(chat, content, d.userId, (id) => d.senderOf(chatId, id));
      const createdAt = options?.createdAt ?? startedAt;
      if (chat && right && awaitsConfirmation(chat, d.standing(chatId), d.userId, right, createdAt, d.waitMs)) {
        const left = Math.max(createdAt, startedAt) + d.waitMs - now();
        if (left <= 0) throw new CodecFailed('rights_unconfirmed', `the owner's signed statement of the ${right} right did not reach this chat in ${d.waitMs} ms`);
        throw new CodecWaiting(`waiting for the owner's signed statement of the ${right} right in this chat`, left);
      }
      return codec.encode(chatId, content, options);
    },
    decodeBatch: (chatId, messages, own, persist) => codec.decodeBatch(chatId, messages, own, persist),
  };
}

/** What a chat's folded views give the holds (ChatViews). */
interface HoldViews {
  notAdmitted(chatId: string): string[];
  standing(chatId: string): OwnStanding | undefined;
  timeline(chatId: string): readonly { id: string; senderUserId: string }[];
}

/**
 * The codec the outbox sends through in communities: R152's admission hold, and with end-to-end
 * encryption (where owners state rights, R138) R159's rights hold.
 */
export function communityHolds(codec: ContentCodec, d: { userId: string; e2ee: boolean; waitMs: number | undefined; chat(chatId: string): ChatSummary | undefined; views(): HoldViews }): ContentCodec {
  const held = admissionHold(codec, (id) => d.views().notAdmitted(id));
  if (!d.e2ee) return held;
  return rightsHold(held, {
    userId: d.userId, chat: d.chat, waitMs: d.waitMs ?? RIGHTS_CONFIRM_WAIT_MS, standing: (id) => d.views().standing(id),
    senderOf: (chatId, clientMsgId) => d.views().timeline(chatId).find((i) => i.id === clientMsgId)?.senderUserId,
  });
}

/**
 * R159: whether this device holds one of its user's actions in the chat for the owner's signed
 * statement of its right (the web says "waiting for the owner's confirmation"), by the same judgement as the hold.
 */
export function awaitingRights(chat: ChatSummary, standing: OwnStanding | undefined, userId: string, waiting: readonly { content: Content | undefined; createdAt: number }[], senderOf: (clientMsgId: string) => string | undefined, waitMs = RIGHTS_CONFIRM_WAIT_MS): boolean {
  return waiting.some(({ content, createdAt }) => {
    const right = content && rightNeeded(chat, content, userId, senderOf);
    return right !== undefined && awaitsConfirmation(chat, standing, userId, right, createdAt, waitMs);
  });
}
