import type { DeviceInfo, KeyLogEntry } from '@parley/protocol';
import { devicesOf, headOf } from './chain.ts';
import { isKeyLogError } from './errors.ts';
import type { KeyDirectoryStore } from './key-directory.ts';

/**
 * What a device finds when it reviews its own user's key log (R31):
 * - `unknown_device_key`: the log gives others a current key for a device the account does not have
 *   (GET /me does not list it): the server, or someone in it, added a ghost device.
 * - `new_device_key`: a device of the account published its key since this device last looked.
 * - `key_log_forked` / `key_log_invalid`: the server rewrote or broke this user's own log (R22).
 * - `key_log_split` (R33, reported by the chats' head gossip, not by this monitor): a member of a
 *   chat verified another history of a user's log than this device did.
 */
export type KeyLogAlert =
  | { id: string; kind: 'unknown_device_key'; deviceId: string; index: number; at: number; detectedAt: number }
  | {
    id: string; kind: 'new_device_key'; deviceId: string; index: number; at: number; detectedAt: number;
    /** The name and creation time GET /me gives the device. */
    deviceName: string; deviceCreatedAt: number;
  }
  | { id: string; kind: 'key_log_forked' | 'key_log_invalid'; detail: string; detectedAt: number }
  | KeyLogSplitAlert;
export type KeyLogAlertKind = KeyLogAlert['kind'];

/**
 * R33: `userId`'s log differs between what this device and `senderUserId`'s device verified.
 * `hash_differs`: another hash at `index`; `unreached`: the sender saw past `index`, this device's
 * head, and the server would not show this device further within the grace period. The names are
 * the chat's at detection time (the id, one per user and index, does not name the chat).
 */
export interface KeyLogSplitAlert {
  id: string; kind: 'key_log_split'; reason: 'hash_differs' | 'unreached';
  userId: string; userName: string; index: number;
  chatId: string; senderUserId: string; senderDeviceId: string; senderName: string;
  detectedAt: number;
}

/** The account's devices as GET /me lists them. */
export type AccountDevice = Pick<DeviceInfo, 'deviceId' | 'name' | 'createdAt'>;

export interface OwnKeyLogMonitorOptions {
  userId: string;
  deviceId: string;
  /** This user's verified log, fetched now (KeyDirectory.log with maxAge 0): throws KeyLogError if it does not verify. */
  log: () => Promise<KeyLogEntry[]>;
  /** The account's current devices (GET /me). */
  devices: () => Promise<readonly AccountDevice[]>;
  store: KeyDirectoryStore;
  /** Checks run only while the client is online; a timer firing offline does nothing. */
  online: () => boolean;
  /** Re-check while online this often (ms). Default DEFAULT_OWN_KEY_LOG_CHECK_MS. */
  intervalMs?: number;
  /** A trigger (coming online, a device or chat change) checks after this delay, so bursts make one check (ms). Default 1 s. */
  settleMs?: number;
  now?: () => number;
  /** A new alert: shown until the person dismisses it. */
  onAlert: (alert: KeyLogAlert) => void;
  /** The list of alerts changed (raised or dismissed). */
  onChange: () => void;
  /** A check failed for another reason than the log (network, server error); the next trigger retries. */
  onError: (error: unknown) => void;
}

export const DEFAULT_OWN_KEY_LOG_CHECK_MS = 5 * 60_000;
const DEFAULT_SETTLE_MS = 1000;
/** After `device_added`, the new device publishes its key once it is online: look again 2, 4 … 64 s later until it has. */
const WATCH_DELAYS_MS = [2000, 4000, 8000, 16_000, 32_000, 64_000];
/** Dismissed alert ids kept so a still-present ghost is not raised again; the oldest go first. */
const MAX_DISMISSED = 200;

const STATE_KEY = (userId: string) => `key-log-review:${userId}`;

interface ReviewState {
  v: 1;
  /** The last log index this device reviewed; null before its first check. */
  reviewed: number | null;
  alerts: KeyLogAlert[];
  dismissed: string[];
}

/**
 * A signed-in device watches its own user's key log (R31): every current device key in it must be a
 * device GET /me lists, and each key added since this device last looked is reported once. This is
 * what catches a server that shows the account's contacts a device key the account does not have,
 * which their clients would otherwise add to every chat (R22 only proves the log is append-only).
 *
 * The reviewed index and the alerts live in the client store, so a restart neither repeats nor loses
 * them. The very first check of a device takes the log as it is as reviewed (its own sign-in is
 * what added it), but still compares it with GET /me.
 */
export class OwnKeyLogMonitor {
  readonly #o: OwnKeyLogMonitorOptions;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #settleMs: number;
  #state: ReviewState = { v: 1, reviewed: null, alerts: [], dismissed: [] };
  #loaded: Promise<void> | undefined;
  #running: Promise<KeyLogAlert[]> | undefined;
  #queued: Promise<KeyLogAlert[]> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = 0;
  #interval: ReturnType<typeof setInterval> | undefined;
  /** Devices announced by `device_added` whose key is not in the log yet, with how many follow-ups they had. */
  readonly #awaiting = new Map<string, number>();
  #stopped = false;

  constructor(options: OwnKeyLogMonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? DEFAULT_OWN_KEY_LOG_CHECK_MS;
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /** Reads the stored state (once); alerts() is empty until it has. */
  load(): Promise<void> {
    this.#loaded ??= (async () => {
      const json = await this.#o.store.get(STATE_KEY(this.#o.userId));
      if (json) this.#state = JSON.parse(json) as ReviewState;
    })();
    return this.#loaded;
  }

  /** The alerts not dismissed yet, oldest first. */
  alerts(): readonly KeyLogAlert[] {
    return this.#state.alerts;
  }

  async dismiss(id: string): Promise<void> {
    await this.load();
    if (!this.#state.alerts.some((a) => a.id === id)) return;
    this.#state.alerts = this.#state.alerts.filter((a) => a.id !== id);
    this.#state.dismissed = [...this.#state.dismissed, id].slice(-MAX_DISMISSED);
    await this.#save();
    this.#o.onChange();
  }

  /**
   * An alert found elsewhere (R33's head comparison) joins this list: raised once per id, kept
   * across restarts, dismissed like the others. Resolves true if it was new.
   */
  async report(alert: KeyLogAlert): Promise<boolean> {
    await this.load();
    return (await this.#raise([alert])).length > 0;
  }

  /** Came online: check soon, then every `intervalMs`. */
  online(): void {
    if (this.#stopped) return;
    this.schedule();
    if (this.#interval === undefined) this.#interval = unref(setInterval(() => this.schedule(0), this.#intervalMs));
  }

  /** Went offline: nothing to check until the next online(). */
  offline(): void {
    clearInterval(this.#interval);
    this.#interval = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  stop(): void {
    this.#stopped = true;
    this.offline();
  }

  /** The log may have changed (a chat's devices changed, say): check after `settleMs`, or sooner if already due. */
  schedule(delayMs = this.#settleMs): void {
    if (this.#stopped) return;
    const due = this.#now() + delayMs;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = unref(setTimeout(() => {
      this.#timer = undefined;
      if (this.#o.online()) void this.check().catch((err: unknown) => { if (!this.#stopped) this.#o.onError(err); });
    }, delayMs));
  }

  /** `device_added`: check now, and again until that device's key shows up in the log. */
  deviceAdded(deviceId: string): void {
    if (deviceId !== this.#o.deviceId) this.#awaiting.set(deviceId, 0);
    this.schedule();
  }

  /** One check now (after any running one; concurrent calls share a queued check). Resolves with the alerts it raised. */
  check(): Promise<KeyLogAlert[]> {
    if (this.#queued) return this.#queued;
    const before = this.#running ?? Promise.resolve([]);
    const next: Promise<KeyLogAlert[]> = before.catch(() => []).then(() => {
      this.#queued = undefined;
      this.#running = next;
      return this.#run();
    }).finally(() => {
      if (this.#running === next) this.#running = undefined;
    });
    this.#queued = next;
    return next;
  }

  async #run(): Promise<KeyLogAlert[]> {
    await this.load();
    const own = this.#o.deviceId;
    let log: KeyLogEntry[];
    try {
      log = await this.#o.log();
    } catch (err) {
      if (isKeyLogError(err) && (err.code === 'key_log_forked' || err.code === 'key_log_invalid')) {
        // One alert per rewrite: the same broken log fails every check until the server serves another.
        const id = `${err.code}:${this.#state.reviewed ?? 0}`;
        return this.#raise([{ id, kind: err.code, detail: err.message, detectedAt: this.#now() }]);
      }
      throw err;
    }
    const devices = new Map((await this.#o.devices()).map((d) => [d.deviceId, d]));
    const current = (entries: readonly KeyLogEntry[]) => new Set(devicesOf(entries).filter((d) => d.revokedAt === null).map((d) => d.deviceId));
    let unknown = [...current(log)].filter((id) => id !== own && !devices.has(id));
    let latest = log;
    if (unknown.length > 0) {
      // The log was read before /me: a device revoked in between is gone from /me, and its revoke
      // entry (same transaction, R21) is in a log read after it. Only what is still current is a ghost.
      latest = await this.#o.log();
      const still = current(latest);
      unknown = unknown.filter((id) => still.has(id));
    }
    const ghosts = new Set(unknown);
    const revoked = new Set(devicesOf(latest).filter((d) => d.revokedAt !== null).map((d) => d.deviceId));
    const detectedAt = this.#now();
    const found: KeyLogAlert[] = [];
    for (const e of log) {
      if (e.kind !== 'add' || e.deviceId === own) continue;
      if (ghosts.has(e.deviceId)) {
        found.push({ id: `unknown_device_key:${e.index}`, kind: 'unknown_device_key', deviceId: e.deviceId, index: e.index, at: e.at, detectedAt });
        continue;
      }
      const device = devices.get(e.deviceId);
      // Revoked since it was added: gone from /me and from the current keys, nothing to report.
      if (this.#state.reviewed === null || e.index <= this.#state.reviewed || !device || revoked.has(e.deviceId)) continue;
      found.push({
        id: `new_device_key:${e.index}`, kind: 'new_device_key', deviceId: e.deviceId, index: e.index, at: e.at, detectedAt,
        deviceName: device.name, deviceCreatedAt: device.createdAt,
      });
    }
    this.#followUp(log);
    // "Not you? Revoke it": once the log shows the revocation, that new key needs no more attention.
    const settled = this.#state.alerts.filter((a) => a.kind === 'new_device_key' && revoked.has(a.deviceId)).map((a) => a.id);
    if (settled.length > 0) {
      this.#state.alerts = this.#state.alerts.filter((a) => !settled.includes(a.id));
      this.#state.dismissed = [...this.#state.dismissed, ...settled].slice(-MAX_DISMISSED);
    }
    const reviewed = headOf(log).index;
    const moved = reviewed !== this.#state.reviewed;
    this.#state.reviewed = reviewed;
    return this.#raise(found, moved || settled.length > 0, settled.length > 0);
  }

  /** Keeps the alerts that are new (not listed, not dismissed), stores the state, tells the listeners. */
  async #raise(found: readonly KeyLogAlert[], save = false, changed = false): Promise<KeyLogAlert[]> {
    const seen = new Set([...this.#state.alerts.map((a) => a.id), ...this.#state.dismissed]);
    const fresh = found.filter((a) => !seen.has(a.id));
    if (fresh.length === 0 && !save) return [];
    this.#state.alerts = [...this.#state.alerts, ...fresh];
    await this.#save();
    for (const alert of fresh) this.#o.onAlert(alert);
    if (fresh.length > 0 || changed) this.#o.onChange();
    return fresh;
  }

  /** A device announced by `device_added` whose key is not logged yet: look again later, a few times. */
  #followUp(log: readonly KeyLogEntry[]): void {
    const logged = new Set(log.map((e) => e.deviceId));
    let attempt: number | undefined;
    for (const [deviceId, n] of this.#awaiting) {
      if (logged.has(deviceId) || n >= WATCH_DELAYS_MS.length) this.#awaiting.delete(deviceId);
      else {
        this.#awaiting.set(deviceId, n + 1);
        attempt = Math.min(attempt ?? n, n);
      }
    }
    if (attempt !== undefined) this.schedule(WATCH_DELAYS_MS[attempt]);
  }

  async #save(): Promise<void> {
    await this.#o.store.set(STATE_KEY(this.#o.userId), JSON.stringify(this.#state));
  }
}

/** Node keeps a process alive for a pending timer; a background check must not (browsers have no unref). */
function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
