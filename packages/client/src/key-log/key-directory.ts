import { KEY_LOG_PAGE_MAX, KeyLogResponse, PublishMlsKeyResponse, type KeyLogEntry, type KeyLogHead } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import type { MlsIdentity } from '../mls/identity.ts';
import { devicesOf, extendLog, headOf, sameKey, type LoggedDevice } from './chain.ts';
import { KeyLogError } from './errors.ts';
import { combineDigits, fingerprint, fingerprintDigits, fingerprintInput, toHex } from './safety-number.ts';

/** The REST call of the signed-in device (ParleyClient's), returning the parsed JSON body. */
export type RestCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** A small string store that survives restarts (the client's meta store). */
export interface KeyDirectoryStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface KeyDirectoryOptions {
  rest: RestCall;
  store: KeyDirectoryStore;
  /** How long a fetched log counts as current before the next question fetches again (ms). Default 30 s. */
  maxAgeMs?: number;
  /** Injected clock (ms). */
  now?: () => number;
  /** A user's verified log grew (its first fetch included): R33 tells the chats that user is in. */
  onHead?: (userId: string, head: KeyLogHead) => void;
}

export type VerificationState = 'unverified' | 'verified' | 'changed';

const LOG_KEY = (userId: string) => `key-log:${userId}`;
const VERIFIED_KEY = (userId: string) => `key-verified:${userId}`;
const PUBLISHED_KEY = (deviceId: string) => `key-log-published:${deviceId}`;
const QR_PREFIX = 'parley-verify:1:';

/**
 * This client's view of the per-user device-key logs (R19-R22). It fetches a user's log, recomputes
 * the hash chain and checks that it extends what this client saw before (the verified entries are
 * kept in the store), so a server that rewrites a history is caught (`key_log_forked`), never
 * silently believed. On top: the current devices and keys of a user, a check for the MLS
 * `authenticate` hook, safety numbers and QR payloads, and the person's "verified" marks.
 *
 * Members of a chat compare the heads they verified (R33, key-log/head-gossip.ts), so a server
 * showing them different, each self-consistent, logs is caught; people who share no chat are not
 * compared (docs/ARCHITECTURE.md).
 */
export class KeyDirectory {
  readonly #o: KeyDirectoryOptions;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** Verified logs fetched by this instance, and when. */
  readonly #fresh = new Map<string, { at: number; log: KeyLogEntry[] }>();
  /** Verified logs as last stored (read once from the store): what `verified` answers without fetching. */
  readonly #known = new Map<string, KeyLogEntry[]>();
  readonly #inflight = new Map<string, Promise<KeyLogEntry[]>>();
  /** Fingerprints by user and key set: 5,200 SHA-512 rounds each, worth computing once. */
  readonly #fingerprints = new Map<string, Uint8Array>();

  constructor(options: KeyDirectoryOptions) {
    this.#o = options;
    this.#maxAgeMs = options.maxAgeMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Publishes this device's MLS signature key (R20), signed with it to prove possession. Once per
   * device; later calls answer from the store. Throws ParleyError `mls_key_conflict` if the device
   * already published another key (a device that lost its MLS identity must be re-added as a new device).
   */
  async publish(identity: MlsIdentity): Promise<void> {
    const key = bytesToBase64(identity.signaturePublicKey);
    if (await this.#o.store.get(PUBLISHED_KEY(identity.deviceId)) === key) return;
    const { entry } = PublishMlsKeyResponse.parse(await this.#o.rest('POST', '/key-log', await identity.keyLogProof()));
    if (entry.kind !== 'add' || entry.deviceId !== identity.deviceId || entry.mlsSignatureKey === null || !sameKey(entry.mlsSignatureKey, identity.signaturePublicKey)) {
      throw new KeyLogError('key_log_invalid', identity.userId, 'the server answered the publish with another entry');
    }
    await this.#o.store.set(PUBLISHED_KEY(identity.deviceId), key);
  }

  /** The user's whole verified log, fetched unless this instance has one younger than `maxAgeMs` (0: always fetch). */
  async log(userId: string, maxAgeMs = this.#maxAgeMs): Promise<KeyLogEntry[]> {
    const cached = this.#fresh.get(userId);
    if (cached && this.#now() - cached.at < maxAgeMs) return cached.log;
    let running = this.#inflight.get(userId);
    if (!running) {
      running = this.#refresh(userId).finally(() => this.#inflight.delete(userId));
      this.#inflight.set(userId, running);
    }
    return running;
  }

  /** The user's log as this client last verified it, without fetching (empty if it never did). */
  async verified(userId: string): Promise<KeyLogEntry[]> {
    return this.#known.get(userId) ?? (await this.#stored(userId));
  }

  /** The user's current (not revoked) devices and their MLS keys, as the verified log states them. */
  async devices(userId: string): Promise<LoggedDevice[]> {
    return devicesOf(await this.log(userId)).filter((d) => d.revokedAt === null);
  }

  /**
   * For the MLS `authenticate` hook: true iff the user's log binds `deviceId` to exactly this key and
   * has not revoked the device. A device the cached log does not know yet makes it fetch once more.
   * Throws KeyLogError when the log does not verify: a forked log is never treated as "no".
   */
  async verifyMember(userId: string, deviceId: string, signaturePublicKey: Uint8Array): Promise<boolean> {
    const find = (log: readonly KeyLogEntry[]) => devicesOf(log).find((d) => d.deviceId === deviceId);
    let device = find(await this.log(userId));
    if (!device) device = find(await this.log(userId, 0));
    return device !== undefined && device.revokedAt === null && sameKey(device.mlsSignatureKey, signaturePublicKey);
  }

  /**
   * The 60-digit safety number of two users (R22): the same on both sides, changed by any device
   * added or revoked on either. Format it with formatSafetyNumber. Throws `no_device_keys` for a
   * user with no current device key.
   */
  async safetyNumber(myUserId: string, theirUserId: string): Promise<string> {
    const [mine, theirs] = await Promise.all([this.#fingerprint(myUserId), this.#fingerprint(theirUserId)]);
    return combineDigits(fingerprintDigits(mine), fingerprintDigits(theirs));
  }

  /** What this side shows as a QR code: `parley-verify:1:<myUserId>:<myFingerprint>:<theirUserId>:<theirFingerprint>` (32 bytes hex each). */
  async qrPayload(myUserId: string, theirUserId: string): Promise<string> {
    const [mine, theirs] = await Promise.all([this.#fingerprint(myUserId), this.#fingerprint(theirUserId)]);
    return `${QR_PREFIX}${myUserId}:${toHex(mine.subarray(0, 32))}:${theirUserId}:${toHex(theirs.subarray(0, 32))}`;
  }

  /**
   * Checks a scanned QR payload: `match` when it was made for this user by `theirUserId` and both
   * fingerprints equal ours. Undefined for something that is not a Parley verify code.
   */
  async scanQrPayload(myUserId: string, payload: string): Promise<{ theirUserId: string; match: boolean } | undefined> {
    if (!payload.startsWith(QR_PREFIX)) return undefined;
    const [theirUserId, theirHex, forUserId, myHex, extra] = payload.slice(QR_PREFIX.length).split(':');
    if (!theirUserId || !theirHex || !forUserId || !myHex || extra !== undefined) return undefined;
    if (forUserId !== myUserId) return { theirUserId, match: false };
    const [mine, theirs] = await Promise.all([this.#fingerprint(myUserId), this.#fingerprint(theirUserId)]);
    return { theirUserId, match: toHex(mine.subarray(0, 32)) === myHex && toHex(theirs.subarray(0, 32)) === theirHex };
  }

  /** Records that the person compared the safety number: the user's current key set is the verified one. */
  async markVerified(userId: string): Promise<void> {
    await this.#o.store.set(VERIFIED_KEY(userId), JSON.stringify(keySet(await this.devices(userId))));
  }

  /** 'changed': verified before, and the user's devices or keys differ now; show a warning. */
  async verificationState(userId: string): Promise<VerificationState> {
    const stored = await this.#o.store.get(VERIFIED_KEY(userId));
    if (stored === undefined || stored === '') return 'unverified';
    return stored === JSON.stringify(keySet(await this.devices(userId))) ? 'verified' : 'changed';
  }

  async #fingerprint(userId: string): Promise<Uint8Array> {
    const devices = await this.devices(userId);
    if (devices.length === 0) throw new KeyLogError('no_device_keys', userId);
    const memo = `${userId} ${JSON.stringify(keySet(devices))}`;
    let result = this.#fingerprints.get(memo);
    if (!result) this.#fingerprints.set(memo, (result = fingerprint(fingerprintInput(userId, devices))));
    return result;
  }

  /** Fetches what is new after the stored log, verifies it extends it, stores and returns the whole log. */
  async #refresh(userId: string): Promise<KeyLogEntry[]> {
    const known = await this.#stored(userId);
    const seen = headOf(known);
    let log = known;
    for (;;) {
      const after = headOf(log).index;
      const page = KeyLogResponse.safeParse(await this.#o.rest('GET', `/users/${encodeURIComponent(userId)}/key-log?after=${after}&limit=${KEY_LOG_PAGE_MAX}`));
      if (!page.success || page.data.userId !== userId) throw new KeyLogError('key_log_invalid', userId, 'malformed key log response');
      const { entries, head } = page.data;
      // A head behind what we saw, or at it with another hash: the history we saw is gone.
      if (head.index < seen.index || (head.index === seen.index && head.hash !== seen.hash)) {
        throw new KeyLogError('key_log_forked', userId, `server head ${head.index} does not extend seen ${seen.index}`);
      }
      log = await extendLog(userId, log, entries);
      const now = headOf(log);
      if (now.index > head.index) throw new KeyLogError('key_log_invalid', userId, `entries past the head ${head.index}`);
      if (now.index === head.index) {
        if (now.hash !== head.hash) throw new KeyLogError('key_log_invalid', userId, 'the head does not match the last entry');
        break;
      }
      if (entries.length === 0) throw new KeyLogError('key_log_invalid', userId, `no entries after ${now.index} though the head is ${head.index}`);
    }
    const grew = log.length !== known.length;
    if (grew) await this.#o.store.set(LOG_KEY(userId), JSON.stringify(log));
    this.#fresh.set(userId, { at: this.#now(), log });
    this.#known.set(userId, log);
    if (grew) this.#o.onHead?.(userId, headOf(log));
    return log;
  }

  async #stored(userId: string): Promise<KeyLogEntry[]> {
    const known = this.#known.get(userId);
    if (known) return known;
    const json = await this.#o.store.get(LOG_KEY(userId));
    const log = json ? (JSON.parse(json) as KeyLogEntry[]) : [];
    // Another read may have verified more meanwhile: never replace a longer log with an older copy.
    const now = this.#known.get(userId);
    if (now && now.length >= log.length) return now;
    this.#known.set(userId, log);
    return log;
  }
}

/** A user's current key set in one canonical form: sorted `deviceId:key` pairs. */
function keySet(devices: readonly LoggedDevice[]): string[] {
  return devices.map((d) => `${d.deviceId}:${d.mlsSignatureKey}`).sort();
}
