import { CommunityRight, type ChatSummary, type Content, type Message, type SystemEvent } from '@parley/protocol';

/**
 * R80: what each member of a community chat may do at each point of its log. The chat summary says
 * who holds rights now (`community.moderators`); each `rights_changed` line (R81) says a member's
 * standing before and after. A member's rights before the first such line this device holds are
 * that line's `before`, else the summary's; from there the log is folded forward. Every device
 * holding the same log and summary judges every deletion and pin alike.
 */
export interface RightsInLog {
  holds(userId: string, right: CommunityRight): boolean;
  /**
   * Moves past a log entry: a `rights_changed` line changes its member's rights from here on, until
   * the owner's first signed statement (R138); after it, such a line changes nothing and is `false`
   * when it disagrees with the signed standing (the server's word alone).
   */
  pass(system: SystemEvent | null): boolean;
  /** R138: a `community_rights` statement from `senderUserId` at this point; `true` when it counts. */
  signed(senderUserId: string, statement: CommunityRightsStatement): boolean;
  /** R138: whether a `rights_changed` line agrees with the signed standing here (always before the chain starts). */
  confirms(system: SystemEvent | null): boolean;
  /** R138: the owner by the signed chain, once it started in this log. */
  readonly signedOwner: string | undefined;
}

export type CommunityRightsStatement = Extract<Content, { kind: 'community_rights' }>;

const ALL_RIGHTS: readonly CommunityRight[] = CommunityRight.options;
/** A handover's line names the heir `owner` with no rights listed: the owner holds every right. */
const lineRights = (line: { role?: string | undefined; rights?: readonly CommunityRight[] | undefined }) => (line.role === 'owner' ? ALL_RIGHTS : line.rights ?? []);
const sameRights = (a: readonly CommunityRight[], b: readonly CommunityRight[]) => a.length === b.length && a.every((r) => b.includes(r));

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
    if (line && !state.has(line.userId)) state.set(line.userId, line.before ? lineRights(line.before) : []);
  }
  for (const m of chat.community?.moderators ?? []) if (!state.has(m.userId)) state.set(m.userId, m.rights);
  let owner: string | undefined;
  return {
    holds: (userId, right) => state.get(userId)?.includes(right) ?? false,
    pass: (system) => {
      const line = rightsLine(system);
      if (!line) return true;
      if (owner === undefined) state.set(line.userId, lineRights(line));
      return owner === undefined || sameRights(state.get(line.userId) ?? [], lineRights(line));
    },
    confirms: (system) => {
      const line = rightsLine(system);
      return !line || owner === undefined || sameRights(state.get(line.userId) ?? [], lineRights(line));
    },
    signed: (senderUserId, statement) => {
      if (statement.communityId !== chat.community?.communityId) return false;
      // The chain starts with a statement by the one who holds every right by the server's word
      // then (R138: before it the server's word stands); after that only the signed owner continues it.
      const from = owner ?? (ALL_RIGHTS.every((r) => state.get(senderUserId)?.includes(r)) ? senderUserId : undefined);
      if (from !== senderUserId) return false;
      state.clear();
      for (const m of statement.moderators) state.set(m.userId, m.rights);
      owner = statement.owner;
      state.set(owner, ALL_RIGHTS);
      return true;
    },
    get signedOwner() { return owner; },
  };
}

/** R159: what a community chat's log, as this device holds it, says of its own user at the log's end (before its outbox). */
export interface OwnStanding {
  /** The last log position this device holds. */
  logEnd: number;
  /** R138: the owner's signed chain started in this log (else the server's word stands here). */
  signed: boolean;
  /** The rights this user holds at the log's end: the signed standing, or before the chain the server's word. */
  rights: readonly CommunityRight[];
  /** The latest server rights line about this user, when the log holds one: its time and the rights it gives. */
  lastLine?: { sentAt: number; rights: readonly CommunityRight[] };
  /** Rights this client saw the chat's summary give the user (it held them not before), and when: the server's line may not be in the log yet. */
  granted?: { at: number; rights: readonly CommunityRight[] };
  /**
   * The owner sent something after that line which this device can't read: it was encrypted before
   * this device joined the chat's group (MLS). The owner's statement the line calls for may be there,
   * out of this device's reach for good (an admin made one just after joining, before their device was added).
   */
  ownerUnreadAfterLine?: true;
}

/** `beforeJoin`: an entry this device can't read because it was sent before it joined the chat's group; `owner`: by the chat's summary. */
export function ownStanding(rights: RightsInLog, userId: string, messages: readonly Message[], unread?: { owner: string | undefined; beforeJoin(m: Message): boolean }): OwnStanding {
  let lastLine: OwnStanding['lastLine'];
  let ownerUnread = false;
  for (let i = messages.length - 1; i >= 0 && !lastLine; i--) {
    const m = messages[i];
    const line = rightsLine(m?.system ?? null);
    if (line?.userId === userId) lastLine = { sentAt: m?.sentAt ?? 0, rights: lineRights(line) };
    else if (m && unread && m.senderUserId === unread.owner && unread.beforeJoin(m)) ownerUnread = true;
  }
  return {
    logEnd: messages.at(-1)?.seq ?? 0, signed: rights.signedOwner !== undefined,
    rights: ALL_RIGHTS.filter((r) => rights.holds(userId, r)), ...(lastLine ? { lastLine, ...(ownerUnread ? { ownerUnreadAfterLine: true as const } : {}) } : {}),
  };
}

/**
 * R138: where the server's current standing (`community.moderators` in the summary) differs from
 * the owner's signed one: the members whose rights the two disagree on. Empty before the chain starts.
 */
export function rightsDisputes(chat: ChatSummary, rights: RightsInLog): string[] {
  if (rights.signedOwner === undefined || !chat.community?.moderators) return [];
  const server = new Map(chat.community.moderators.map((m) => [m.userId, m.rights] as const));
  const users = new Set([...server.keys(), ...chat.members.map((m) => m.userId)]);
  return [...users].filter((u) => !sameRights(server.get(u) ?? [], ALL_RIGHTS.filter((r) => rights.holds(u, r))));
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
