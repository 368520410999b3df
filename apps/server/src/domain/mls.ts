import {
  EpochConflictError, MAX_STORED_KEY_PACKAGES, ParleyError,
  type ClaimKeyPackagesResponse, type Envelope, type KeyPackageCountResponse, type UploadKeyPackagesRequest,
} from '@parley/protocol';
import type { RateLimits } from '../config.ts';
import type { AppendResult, KeyPackageRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Delivery } from './delivery.ts';
import type { Clock } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface MlsDeps {
  storage: Storage;
  /** The message path: commits pass the same checks and fan out the same way as messages. */
  delivery: Pick<Delivery, 'admit' | 'entry' | 'announce'>;
  clock: Clock;
  limiter: RateLimiter;
  /** Claims cost one token per user named, from a per-device bucket of `apiPerSec` (burst 5x). */
  rates: Pick<RateLimits, 'apiPerSec'>;
}

/**
 * The MLS Delivery Service (RFC 9420 §16.1, R14-R17): a directory of devices' key packages and the
 * epoch order of each chat's commits. Every MLS value is opaque bytes here; the server holds no
 * private key and parses nothing, so it can order and route but never read or forge.
 */
export class Mls {
  readonly #d: MlsDeps;
  constructor(deps: MlsDeps) {
    this.#d = deps;
  }

  /** R14: the caller's device stores its own key packages (a device never uploads for another). */
  async upload(auth: AuthContext, input: UploadKeyPackagesRequest): Promise<KeyPackageCountResponse> {
    const now = this.#d.clock.now();
    const row = async (keyPackage: string, lastResort: boolean): Promise<KeyPackageRow> => ({
      keyPackageId: Buffer.from(await crypto.subtle.digest('SHA-256', Buffer.from(keyPackage, 'base64'))).toString('hex'),
      userId: auth.userId,
      deviceId: auth.deviceId,
      keyPackage,
      lastResort,
      createdAt: now,
    });
    const before = await this.#d.storage.countKeyPackages(auth.deviceId);
    if (before.available + input.keyPackages.length > MAX_STORED_KEY_PACKAGES) {
      throw new ParleyError('bad_request', `a device keeps at most ${MAX_STORED_KEY_PACKAGES} unclaimed key packages; it has ${before.available}`);
    }
    await this.#d.storage.addKeyPackages(
      await Promise.all(input.keyPackages.map((k) => row(k, false))),
      input.lastResort === undefined ? undefined : await row(input.lastResort, true),
    );
    return this.count(auth);
  }

  /** R14: what the caller's device has left, so it can replenish. */
  async count(auth: AuthContext): Promise<KeyPackageCountResponse> {
    return this.#d.storage.countKeyPackages(auth.deviceId);
  }

  /**
   * R14: one key package per non-revoked device of each user (the caller's own device excepted),
   * consumed atomically, or the device's last-resort one. Rate-limited per device by users named,
   * so no one drains another person's key packages quickly.
   */
  async claim(auth: AuthContext, userIds: readonly string[]): Promise<ClaimKeyPackagesResponse> {
    const unique = [...new Set(userIds)];
    const { apiPerSec } = this.#d.rates;
    this.#d.limiter.take(`kp-claim:${auth.deviceId}`, apiPerSec, apiPerSec * 5, unique.length);
    const rows = await this.#d.storage.claimKeyPackages(unique, auth.deviceId);
    return {
      keyPackages: rows.map((r) => ({ userId: r.userId, deviceId: r.deviceId, keyPackage: r.keyPackage, lastResort: r.lastResort })),
    };
  }

  /**
   * R15/R16: appends an MLS commit to the chat's log if `epoch` is the chat's current epoch (which
   * then moves on by one), else throws `epoch_conflict` with the current epoch and stores nothing.
   * Only members commit (R10). A resend of an accepted commit is acked with the original (R1).
   */
  async commit(auth: AuthContext, input: { chatId: string; clientMsgId: string; epoch: number; envelope: Envelope }): Promise<AppendResult> {
    const { delivery, storage } = this.#d;
    await delivery.admit(auth, input.chatId, input.envelope);
    const result = await storage.appendCommit(delivery.entry(auth, input), input.epoch);
    if ('conflict' in result) throw new EpochConflictError(result.conflict);
    if (!result.duplicate) await delivery.announce(result.message);
    return result;
  }
}
