import type { ChatSummary, Content, SystemEvent } from '@parley/protocol';
import type { RightsInLog } from './rights-in-log.ts';

export type SanctionStatement = Extract<Content, { kind: 'community_sanction' }>;
type Line = { system?: SystemEvent | null | undefined; unconfirmed?: true };
const SANCTIONS: ReadonlySet<string> = new Set(['banned', 'unbanned', 'muted', 'unmuted']);

/**
 * R156: the server's ban, unban, mute and unmute lines, taken only when a holder of `ban` (by R138's
 * rights at that point) stated the same sanction (`community_sanction`, MLS-signed) in this chat's log.
 * Judged from the first such statement this device reads in the chat (before it, and in a community
 * from before R156, the server's word stands, as R138's chain start); a line with no statement to
 * match by the end of the log is `unconfirmed` ("not signed by an admin: ignored").
 */
export function sanctionsInLog(chat: ChatSummary, rights: RightsInLog) {
  const communityId = chat.community?.communityId;
  let started = false;
  const signed: SanctionStatement[] = [];
  const judged: Line[] = [];
  return {
    statement(senderUserId: string, st: SanctionStatement): void {
      if (!communityId || st.communityId !== communityId) return;
      started = true;
      if (rights.holds(senderUserId, 'ban')) signed.push(st);
    },
    /** A server line; judged when it is a sanction and the chat's statements have started. */
    line(line: Line): void {
      const s = line.system;
      if (started && s?.kind === 'moderation' && SANCTIONS.has(s.action)) judged.push(line);
    },
    /** The statements that count here (R160: the announcements chat's confirm mutes in the community's other chats). */
    signed: (): readonly SanctionStatement[] => signed,
    /**
     * At the end of the log: marks the lines no statement matches (the statement may come right after
     * its line). R160: `elsewhere`, the statements counted in the community's announcements chat, confirm mutes too.
     */
    finish(elsewhere: readonly SanctionStatement[] = []): void {
      for (const line of judged) {
        const s = line.system;
        if (s?.kind !== 'moderation') continue;
        const muting = s.action === 'muted' || s.action === 'unmuted';
        const match = [...signed, ...(muting ? elsewhere : [])].some((st) => st.action === s.action && st.userId === s.userId && (s.action !== 'muted' || st.untilMs === s.untilMs));
        if (!match) line.unconfirmed = true;
      }
    },
  };
}
