/**
 * R62: what the Parley server asks of an SFU (Janus's VideoRoom today) to run a group chat's call
 * room. Every operation is idempotent: nodes of a cluster may do the same one at the same time.
 * The SFU is the only place that holds the live tokens and participants; the Parley server derives
 * its side (room ids, secrets, tokens, publisher ids) from its key, so no node stores grants.
 */
export interface SfuRoomRef {
  room: number;
  /** The room's secret (edit, kick, destroy); only the Parley server knows it. */
  secret: string;
}

export interface SfuRoomSpec extends SfuRoomRef {
  /** What names the room to the Parley server again (the chat id). */
  label: string;
  maxPublishers: number;
}

export interface Sfu {
  /** Creates the room unless it exists: tokens checked on join, subscribers need a publisher's private id. */
  ensureRoom(spec: SfuRoomSpec): Promise<void>;
  /** Lets `token` use the SFU (its room plugin only) and join `room`. */
  grant(room: SfuRoomRef, token: string): Promise<void>;
  /** Takes `tokens` out of the SFU's accepted tokens and, with `room`, out of its join list. */
  revoke(room: SfuRoomRef | undefined, tokens: readonly string[]): Promise<void>;
  /** Every token the SFU accepts now (its own and others'). */
  tokens(): Promise<string[]>;
  /** The rooms that exist now, with their labels. */
  rooms(): Promise<Array<{ room: number; label: string }>>;
  /** The room's join list; empty for a room that doesn't exist. */
  roomTokens(room: SfuRoomRef): Promise<string[]>;
  /** Publisher ids of the room's participants; empty for a room that doesn't exist. */
  participants(room: number): Promise<number[]>;
  /** Drops a participant (and its subscriptions); fine when it isn't there. */
  kick(room: SfuRoomRef, feedId: number): Promise<void>;
  destroyRoom(room: SfuRoomRef): Promise<void>;
}
