import { NetworkError } from '../api.ts';
import { Disconnected } from '../connection.ts';
import { devicesOf, sameKey, type LoggedDevice } from '../key-log/chain.ts';
import type { KeyDirectory } from '../key-log/index.ts';
import type { MemberIdentity } from '../mls/index.ts';

/**
 * What a user's key log says about a leaf's signature key (R22): bound to that device and current;
 * bound and later revoked (the device was in the group legitimately, its removal commit is on its
 * way); or never bound to that device.
 */
export type LeafStanding = 'current' | 'revoked' | 'unbound';

/** The key log's word on members beyond the strict MLS authenticate hook (which accepts 'current' only). */
export interface MemberTrust {
  /** For the tree of a Welcome, where a just-revoked device may still hold a leaf. */
  leaf(member: MemberIdentity, signaturePublicKey: Uint8Array): Promise<LeafStanding>;
  /**
   * When the log revoked the device (the server's clock, ms), or null while it has not. Throws when
   * the log can't be fetched now: the caller decodes later.
   */
  revokedAt(userId: string, deviceId: string): Promise<number | null>;
}

export interface KeyLogTrustDeps {
  keys: Pick<KeyDirectory, 'log' | 'verifyMember'>;
  onError(error: unknown): void;
  stopped(): boolean;
}

/**
 * The MLS codec's checks against the device-key logs (R22), as ParleyClient wires them: the strict
 * `authenticate` hook for every member a commit brings in, the laxer standing of a Welcome's leaves,
 * and when a sender's device was revoked. A network failure is retried a few times.
 */
export class KeyLogTrust implements MemberTrust {
  readonly #d: KeyLogTrustDeps;

  constructor(deps: KeyLogTrustDeps) {
    this.#d = deps;
  }

  /**
   * The MLS authenticate hook: the log binds the member's device to exactly this key and has not
   * revoked it. Never rejects (ts-mls may run several checks at once and stop at the first failure,
   * which would leave the others' rejections unhandled): a failure is reported and counts as "no".
   */
  async authenticate(member: MemberIdentity, key: Uint8Array): Promise<boolean> {
    try {
      return await this.#ask(() => this.#d.keys.verifyMember(member.userId, member.deviceId, key));
    } catch (err) {
      this.#report(err);
      return false;
    }
  }

  /** Never rejects either: a failure counts as 'unbound'. */
  async leaf(member: MemberIdentity, key: Uint8Array): Promise<LeafStanding> {
    try {
      const device = await this.#device(member.userId, member.deviceId, true);
      if (!device || !sameKey(device.mlsSignatureKey, key)) return 'unbound';
      return device.revokedAt === null ? 'current' : 'revoked';
    } catch (err) {
      this.#report(err);
      return 'unbound';
    }
  }

  /**
   * From the log as this client has it (at most KeyDirectory's maxAgeMs old). A log that does not
   * verify is reported and counts as no revocation, as a server hiding one would (the person is
   * shown the broken log); a network failure throws.
   */
  async revokedAt(userId: string, deviceId: string): Promise<number | null> {
    try {
      return (await this.#device(userId, deviceId, false))?.revokedAt ?? null;
    } catch (err) {
      if (err instanceof NetworkError || err instanceof Disconnected || this.#d.stopped()) throw err;
      this.#report(err);
      return null;
    }
  }

  /** `refetch`: a device the cached log does not know yet makes it fetch once more (as verifyMember does). */
  async #device(userId: string, deviceId: string, refetch: boolean): Promise<LoggedDevice | undefined> {
    const find = (log: Awaited<ReturnType<KeyDirectory['log']>>) => devicesOf(log).find((d) => d.deviceId === deviceId);
    const device = find(await this.#ask(() => this.#d.keys.log(userId)));
    return device ?? (refetch ? find(await this.#ask(() => this.#d.keys.log(userId, 0))) : undefined);
  }

  async #ask<T>(ask: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await ask();
      } catch (err) {
        if (!(err instanceof NetworkError) || attempt >= 3 || this.#d.stopped()) throw err;
        await new Promise((r) => setTimeout(r, 300 * 2 ** attempt));
      }
    }
  }

  #report(err: unknown): void {
    if (!this.#d.stopped()) this.#d.onError(err);
  }
}
