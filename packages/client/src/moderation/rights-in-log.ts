import type { ChatSummary, CommunityRight, Message, SystemEvent } from '@parley/protocol';

/**
 * R80: what each member of a community chat may do at each point of its log. The chat summary says
 * who holds rights now (`community.moderators`); each `rights_changed` line (R81) says a member's
 * standing before and after. A member's rights before the first such line this device holds are
 * that line's `before`, else the summary's; from there the log is folded forward. Every device
 * holding the same log and summary judges every deletion and pin alike.
 */
export interface RightsInLog {
  holds(userId: string, right: CommunityRight): boolean;
  /** Moves past a log entry: a `rights_changed` line changes its member's rights from here on. */
  pass(system: SystemEvent | null): void;
}

type RightsLine = Extract<SystemEvent, { kind: 'moderation' }> & { action: 'rights_changed'; userId: string };

function rightsLine(system: SystemEvent | null): RightsLine | undefined {
  return system?.kind === 'moderation' && system.action === 'rights_changed' && system.userId !== undefined ? system as RightsLine : undefined;
}

/** The community rights this user holds now by the chat's summary; undefined when the chat is no community's. */
export function communityRightsNow(chat: ChatSummary, userId: string): readonly CommunityRight[] | undefined {
  if (!chat.community) return undefined;
  return chat.community.moderators?.find((m) => m.userId === userId)?.rights ?? [];
}

export function rightsInLog(chat: ChatSummary, messages: readonly Message[]): RightsInLog {
  const state = new Map<string, readonly CommunityRight[]>();
  for (const m of messages) {
    const line = rightsLine(m.system);
    if (line && !state.has(line.userId)) state.set(line.userId, line.before?.rights ?? []);
  }
  for (const m of chat.community?.moderators ?? []) if (!state.has(m.userId)) state.set(m.userId, m.rights);
  return {
    holds: (userId, right) => state.get(userId)?.includes(right) ?? false,
    pass: (system) => {
      const line = rightsLine(system);
      if (line) state.set(line.userId, line.rights ?? []);
    },
  };
}

/**
 * R69, R82: whether this device's own automatic posts (resend asks and answers, key-log heads, a
 * chat's name again after an add) go to the chat: not where the server would refuse them (a
 * community's announcements without the right; while this user is muted) and not where they would
 * take this member's slow-mode slot from what the person writes.
 */
export function mayAutoPost(chat: ChatSummary | undefined, userId: string, now = Date.now()): boolean {
  const c = chat?.community;
  if (!c) return true;
  if (!c.mayPost || (c.mutedUntil !== undefined && c.mutedUntil > now)) return false;
  return c.slowModeMs === undefined || (c.moderators?.some((m) => m.userId === userId) ?? false);
}
