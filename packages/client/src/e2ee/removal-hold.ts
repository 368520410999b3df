import type { ChatDevice } from '@parley/protocol';
import { devicesOf } from '../key-log/chain.ts';
import type { KeyDirectory } from '../key-log/index.ts';
import type { MemberIdentity } from '../mls/index.ts';

const keyOf = (m: MemberIdentity): string => `${m.userId}:${m.deviceId}`;

export interface RemovalHoldOptions {
  /** How long (while connected) a chat's messages wait for a leaf's removal before they go out anyway; 0 turns holding off. */
  holdMs: number;
  now?: () => number;
}

/**
 * R34: nothing new is encrypted to a device that should no longer be in a chat's group. Per chat it
 * keeps the leaves of this device's view of the group that the chat's device list (R18) no longer
 * has (revoked, or their user left or was removed), each with a deadline; and, from the moment the
 * chat changed until a device list fetched after that answers, a provisional hold. The codec asks
 * `blocks` under the chat's lock before it encrypts an application message, with the group it
 * encrypts for, so a hold ends exactly when a commit removing those leaves has been applied, by this
 * device or another. Commits never ask. A leaf whose deadline passed no longer blocks: a removal that
 * can't happen must not strand messages. Deadlines stand still while this device is offline (it can't
 * commit then, and nothing is sent).
 */
export class RemovalHold {
  readonly #holdMs: number;
  readonly #now: () => number;
  /** chatId → leaf (userId:deviceId) → deadline. */
  readonly #strays = new Map<string, Map<string, number>>();
  /** chatId → the chat changed at this tick; messages wait until a device list fetched later is observed, or the deadline. */
  readonly #checking = new Map<string, { tick: number; deadline: number }>();
  #ticks = 0;
  #offlineSince: number | undefined;

  constructor(options: RemovalHoldOptions) {
    this.#holdMs = options.holdMs;
    this.#now = options.now ?? Date.now;
  }

  /** Taken just before fetching a device list: `observe` then knows which changes the list can reflect. */
  tick(): number {
    return ++this.#ticks;
  }

  /** The chat changed (a `chat` event) or this device reconnected: its messages wait for a fresh device list. */
  mark(chatId: string): void {
    if (this.#holdMs <= 0) return;
    const tick = this.tick();
    const pending = this.#checking.get(chatId);
    this.#checking.set(chatId, { tick, deadline: pending?.deadline ?? this.#now() + this.#holdMs });
  }

  /**
   * A device list (`wanted`, fetched at `tick`) against this device's view of the group (`view`):
   * each leaf not in the list (this device's own aside) is held for; one seen before keeps its
   * deadline. True when this released messages (a provisional hold ended, or a leaf is wanted again).
   */
  observe(chatId: string, tick: number, view: readonly MemberIdentity[], wanted: readonly MemberIdentity[], me: MemberIdentity): boolean {
    if (this.#holdMs <= 0) return false;
    let released = false;
    const checking = this.#checking.get(chatId);
    if (checking && checking.tick < tick) {
      this.#checking.delete(chatId);
      released = true;
    }
    const want = new Set(wanted.map(keyOf));
    const before = this.#strays.get(chatId) ?? new Map<string, number>();
    const now = this.#now();
    const after = new Map<string, number>();
    for (const m of view) {
      const k = keyOf(m);
      if (k !== keyOf(me) && !want.has(k)) after.set(k, before.get(k) ?? now + this.#holdMs);
    }
    if ([...before.keys()].some((k) => !after.has(k))) released = true;
    if (after.size > 0) this.#strays.set(chatId, after);
    else this.#strays.delete(chatId);
    return released;
  }

  /** Whether an application message for the chat must wait, given the group it would be encrypted for. */
  blocks(chatId: string, members: () => readonly MemberIdentity[]): boolean {
    const now = this.#now();
    const checking = this.#checking.get(chatId);
    if (checking && checking.deadline <= now) this.#checking.delete(chatId);
    const strays = this.#strays.get(chatId);
    let blocked = checking !== undefined && checking.deadline > now;
    if (!strays) return blocked;
    const present = new Set(members().map(keyOf));
    for (const [k, deadline] of strays) {
      if (!present.has(k)) strays.delete(k); // its removal was applied
      else if (deadline > now) blocked = true;
    }
    if (strays.size === 0) this.#strays.delete(chatId);
    return blocked;
  }

  /** A removal or a check is pending and not timed out: a device with messages waiting commits at once instead of after its rank delay. */
  holding(chatId: string): boolean {
    const now = this.#now();
    const checking = this.#checking.get(chatId);
    return (checking !== undefined && checking.deadline > now) || [...(this.#strays.get(chatId)?.values() ?? [])].some((d) => d > now);
  }

  /** The connection dropped: deadlines stop running. */
  offline(): void {
    this.#offlineSince ??= this.#now();
  }

  /** Connected again: deadlines move on by the time spent offline. */
  online(): void {
    if (this.#offlineSince === undefined) return;
    const away = this.#now() - this.#offlineSince;
    this.#offlineSince = undefined;
    for (const c of this.#checking.values()) c.deadline += away;
    for (const strays of this.#strays.values()) for (const [k, d] of strays) strays.set(k, d + away);
  }

  forget(chatId: string): void {
    this.#checking.delete(chatId);
    this.#strays.delete(chatId);
  }
}

/**
 * The devices that belong in a chat's group: its device list (R18) without any device the key log,
 * as this client already verified it, shows revoked. The list is the server's word; the log is
 * hash-chained and compared between members (R33), so a revocation it shows counts even where the
 * list still names the device. No log is fetched here (that would be one request per member).
 */
export async function wantedDevices(devices: readonly ChatDevice[], keys: Pick<KeyDirectory, 'verified'>): Promise<ChatDevice[]> {
  const revoked = new Set<string>();
  await Promise.all([...new Set(devices.map((d) => d.userId))].map(async (userId) => {
    for (const d of devicesOf(await keys.verified(userId))) if (d.revokedAt !== null) revoked.add(`${userId}:${d.deviceId}`);
  }));
  return devices.filter((d) => !revoked.has(keyOf(d)));
}

export interface RemovalCheckDeps {
  hold: RemovalHold;
  keys: Pick<KeyDirectory, 'verified'>;
  me: MemberIdentity;
  /** GET /chats/:id/devices (R18). */
  fetchDevices(chatId: string): Promise<ChatDevice[]>;
  /** This device's view of the chat's group. */
  members(chatId: string): Promise<MemberIdentity[]>;
  /** How many messages this device has waiting in the chat's outbox. */
  waiting(chatId: string): number;
  /** A hold was released: the chat's waiting message tries again now. */
  released(chatId: string): void;
}

/**
 * The reconcile side of R34 (ChatEncryption runs one): fetches a chat's device list and tells the
 * hold what it shows, and waits out a device's rank delay unless messages wait for a removal.
 */
export class RemovalCheck {
  readonly #d: RemovalCheckDeps;
  /** Ends a rank delay early, per chat. */
  readonly #cuts = new Map<string, () => void>();

  constructor(deps: RemovalCheckDeps) {
    this.#d = deps;
  }

  /** The devices that belong in the chat's group (`wantedDevices`), and which leaves of this device's view don't. */
  async devices(chatId: string): Promise<ChatDevice[]> {
    const tick = this.#d.hold.tick();
    const wanted = await wantedDevices(await this.#d.fetchDevices(chatId), this.#d.keys);
    if (this.#d.hold.observe(chatId, tick, await this.#d.members(chatId), wanted, this.#d.me)) this.#d.released(chatId);
    return wanted;
  }

  /**
   * A device later in leaf order waits before it commits, so usually the first one does. The hold is
   * decided before that wait, from a device list fetched now; messages held for a removal end it
   * (this device commits at once; a lost race is an epoch_conflict and a catch-up).
   */
  async rankDelay(chatId: string, ms: number): Promise<void> {
    await this.devices(chatId);
    if (this.#d.hold.holding(chatId) && this.#d.waiting(chatId) > 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#cuts.get(chatId)?.(), ms);
      this.#cuts.set(chatId, () => {
        clearTimeout(timer);
        this.#cuts.delete(chatId);
        resolve();
      });
    });
  }

  /** A message is held for the chat: ends its rank delay if one is running; false if none was. */
  cut(chatId: string): boolean {
    const cut = this.#cuts.get(chatId);
    cut?.();
    return cut !== undefined;
  }
}
