import {
  EpochConflictError, MAX_STORED_KEY_PACKAGES, ParleyError,
  type ClaimKeyPackagesResponse, type Envelope, type KeyPackageCountResponse, type UploadKeyPackagesRequest,
} from '@parley/protocol';
import type { RateLimits } from '../../config.ts';
import type { AppendResult, KeyPackageRow, Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Delivery } from '../delivery.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { CheckedCommitState, CommitChecks } from './commit-checks.ts';
import { decodePublicGroup, encodeRatchetTree } from '@parley/mls-public';

export interface MlsDeps {
  storage: Storage;
  /** R35: what a commit must pass before it is ordered. */
  checks: CommitChecks;
  /** Seconds each commit check took (and how it ended). */
  onChecked?: (seconds: number, outcome: string) => void;
  /** The message path: commits pass the same checks and fan out the same way as messages. */
  delivery: Pick<Delivery, 'admit' | 'entry' | 'announce'>;
  clock: Clock;
  limiter: RateLimiter;
  /**
   * Claims cost one token per user named, from a per-device bucket of `apiPerSec` (burst 5x); a commit
   * that is checked (at the chat's epoch) costs one of the device's `commitPerMin` in that chat.
   */
  rates: Pick<RateLimits, 'apiPerSec' | 'commitPerMin'>;
  /** R14: key packages uploaded longer ago are never handed out (their MLS lifetime runs out) and are deleted. */
  keyPackageMaxAgeMs: number;
  /** R41: claims naming one user per hour that may consume their one-time key packages. */
  claimsPerTargetPerHour: number;
  /** R35b: how long the state a Welcome led to stays readable for the devices it added. */
  joinStateTtlMs: number;
  /** Throws `not_member` unless the user is a member of the chat (R10). */
  requireMember(chatId: string, userId: string): Promise<unknown>;
}

/** How often, at most, a node sweeps every device's stale key packages (on an upload or claim). */
const SWEEP_EVERY_MS = 3_600_000;

/**
 * The MLS Delivery Service (RFC 9420 §16.1, R14-R17): a directory of devices' key packages and the
 * epoch order of each chat's commits. Every MLS value is opaque bytes here; the server holds no
 * private key and parses nothing, so it can order and route but never read or forge. It can't read
 * a key package's lifetime either, so it ages them by their upload time instead.
 */
export class Mls {
  readonly #d: MlsDeps;
  #nextSweep = 0;
  constructor(deps: MlsDeps) {
    this.#d = deps;
  }

  /** R14: the caller's device stores its own key packages (a device never uploads for another). */
  async upload(auth: AuthContext, input: UploadKeyPackagesRequest): Promise<KeyPackageCountResponse> {
    const now = this.#d.clock.now();
    await this.#sweep(now);
    const row = async (keyPackage: string, lastResort: boolean): Promise<KeyPackageRow> => ({
      keyPackageId: Buffer.from(await crypto.subtle.digest('SHA-256', Buffer.from(keyPackage, 'base64'))).toString('hex'),
      userId: auth.userId,
      deviceId: auth.deviceId,
      keyPackage,
      lastResort,
      createdAt: now,
    });
    const replaceOneTime = input.replaceOneTime === true;
    const kept = replaceOneTime ? 0 : (await this.#d.storage.countKeyPackages(auth.deviceId, this.#freshSince(now))).available;
    if (kept + input.keyPackages.length > MAX_STORED_KEY_PACKAGES) {
      throw new ParleyError('bad_request', `a device keeps at most ${MAX_STORED_KEY_PACKAGES} unclaimed key packages; it has ${kept}`);
    }
    await this.#d.storage.addKeyPackages({
      deviceId: auth.deviceId,
      oneTime: await Promise.all(input.keyPackages.map((k) => row(k, false))),
      ...(input.lastResort === undefined ? {} : { lastResort: await row(input.lastResort, true) }),
      staleBefore: this.#freshSince(now),
      replaceOneTime,
    });
    return this.#count(auth, now);
  }

  /** R14: what the caller's device has left that will still be handed out, so it can replenish. */
  async count(auth: AuthContext): Promise<KeyPackageCountResponse> {
    return this.#count(auth, this.#d.clock.now());
  }

  /**
   * R14/R41: one key package per non-revoked device of each user (the caller's own device excepted),
   * consumed atomically, or the device's last-resort one; never one older than the max age. Only for
   * members of a chat the caller is a member of (a device claims to add a chat's members to its
   * group); per claiming device by users named; and per user claimed, from anyone: past that budget
   * their devices hand out their last-resort key package, so no one drains a person's one-time ones.
   */
  async claim(auth: AuthContext, input: { chatId: string; userIds: readonly string[] }): Promise<ClaimKeyPackagesResponse> {
    const unique = [...new Set(input.userIds)];
    const members = new Set((await this.#d.storage.getMembers(input.chatId)).map((m) => m.userId));
    if (!members.has(auth.userId)) throw new ParleyError('not_member', 'not a member of this chat');
    const outsiders = unique.filter((u) => !members.has(u));
    if (outsiders.length > 0) throw new ParleyError('forbidden', 'key packages are claimed only for members of the chat whose group they join');
    const { apiPerSec } = this.#d.rates;
    await this.#d.limiter.take(`kp-claim:${auth.deviceId}`, apiPerSec, apiPerSec * 5, unique.length);
    const perHour = this.#d.claimsPerTargetPerHour;
    const lastResortOnly: string[] = [];
    for (const userId of unique) {
      if (userId === auth.userId) continue; // a user's own devices adding each other
      try {
        await this.#d.limiter.take(`kp-target:${userId}`, perHour / 3600, perHour);
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === 'rate_limited')) throw err;
        lastResortOnly.push(userId);
      }
    }
    const now = this.#d.clock.now();
    await this.#sweep(now);
    const rows = await this.#d.storage.claimKeyPackages(unique, auth.deviceId, this.#freshSince(now), lastResortOnly);
    return {
      keyPackages: rows.map((r) => ({ userId: r.userId, deviceId: r.deviceId, keyPackage: r.keyPackage, lastResort: r.lastResort })),
    };
  }

  async #count(auth: AuthContext, now: number): Promise<KeyPackageCountResponse> {
    const { available, lastResortCreatedAt } = await this.#d.storage.countKeyPackages(auth.deviceId, this.#freshSince(now));
    return lastResortCreatedAt === null
      ? { available, lastResort: false }
      : { available, lastResort: true, lastResortAgeMs: Math.max(0, now - lastResortCreatedAt) };
  }

  /** Key packages stored before this are stale. */
  #freshSince(now: number): number {
    return now - this.#d.keyPackageMaxAgeMs;
  }

  /** Claims and uploads delete the stale key packages of the devices they touch; this catches devices nobody touches. */
  async #sweep(now: number): Promise<void> {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY_MS;
    await this.#d.storage.deleteKeyPackagesBefore(this.#freshSince(now));
  }

  /**
   * R15/R16/R35: appends an MLS commit to the chat's log if `epoch` is the chat's current epoch (which
   * then moves on by one) and the commit passes the checks of R35 (its group's public state is
   * stored with it), else throws `epoch_conflict` with the current epoch, or the check's error, and
   * stores nothing. Only members commit (R10). A resend of an accepted commit is acked with the
   * original (R1) and not checked again: it names an epoch that has moved on.
   */
  async commit(auth: AuthContext, input: { chatId: string; clientMsgId: string; epoch: number; envelope: Envelope }): Promise<AppendResult> {
    const { delivery, storage, checks } = this.#d;
    await delivery.admit(auth, input.chatId, input.envelope, 'commit');
    const chat = await storage.getChat(input.chatId);
    if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
    let checked: CheckedCommitState | undefined;
    if (input.epoch === chat.mlsEpoch) {
      // A commit costs more than a message: the server checks it, and every member's device must
      // apply it. A lost race (another epoch) or a resend is not checked and costs only the send.
      const { commitPerMin } = this.#d.rates;
      await this.#d.limiter.take(`commit:${input.chatId}:${auth.deviceId}`, commitPerMin / 60, commitPerMin);
      const started = performance.now();
      let outcome = 'accepted';
      try {
        checked = await checks.check(auth, chat, input.envelope);
      } catch (err) {
        outcome = err instanceof ParleyError ? err.code : 'error';
        throw err;
      } finally {
        this.#d.onChecked?.((performance.now() - started) / 1000, outcome);
      }
    }
    const now = this.#d.clock.now();
    const next = checked && {
      state: checked.state, startedAt: checked.startedAt,
      ...(checked.welcomes ? { forJoiners: { until: now + this.#d.joinStateTtlMs, now } } : {}),
    };
    const result = await storage.appendCommit(delivery.entry(auth, input), input.epoch, next);
    if ('conflict' in result) throw new EpochConflictError(result.conflict);
    if (checked && !result.duplicate) checks.remember(input.chatId, input.epoch + 1, checked);
    if (!result.duplicate) await delivery.announce(result.message);
    return result;
  }

  /**
   * R35b: the group's ratchet tree at `epoch` (RFC 9420 §12.4.3.3 `ratchet_tree` encoding), for a
   * device a Welcome brought in at that epoch when the Welcome does not carry it. Members only; the
   * tree is public (keys, credentials, signatures) and the joiner checks it against the tree hash
   * of the GroupInfo the Welcome's committer signed, so the server can't give it another.
   */
  async joinTree(auth: AuthContext, chatId: string, epoch: number): Promise<Uint8Array> {
    await this.#d.requireMember(chatId, auth.userId);
    const state = await this.#d.storage.getMlsJoinState(chatId, epoch, this.#d.clock.now());
    if (!state) throw new ParleyError('mls_tree_not_found', 'no tree of this group kept for that epoch (none was, or it expired)');
    return encodeRatchetTree(decodePublicGroup(state).tree);
  }
}
