import { ParleyError } from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { Clock } from './ports.ts';
import { sha256Hex, type TokenSigner } from './secrets.ts';

export interface ChallengesDeps {
  tokens: TokenSigner;
  storage: Storage;
  clock: Clock;
  /** How often this node deletes the records of expired challenges (default 10 minutes). */
  sweepEveryMs?: number;
}

const CLOCK_SLACK_MS = 60_000;

/** What an opened challenge carries: the data it was issued with, and the token to redeem. */
export interface OpenedChallenge {
  data: Record<string, unknown>;
  token: string;
  expiresAt: number;
}

/**
 * Signed, stateless challenges (device login, passkey ceremonies) that can each be redeemed once
 * (R39). Issuing stays stateless, so any node can check what another issued; redeeming records the
 * token's id in the database in one atomic insert, so a second redemption, on this node or another,
 * fails. Records live only until the challenge expires, after which its signature check refuses it.
 */
export class Challenges {
  readonly #d: ChallengesDeps;
  #nextSweep = 0;

  constructor(deps: ChallengesDeps) {
    this.#d = deps;
  }

  issue(kind: string, data: Record<string, unknown>, ttlMs: number): { token: string; expiresAt: number } {
    const expiresAt = this.#d.clock.now() + ttlMs;
    return { token: this.#d.tokens.sign(kind, data, expiresAt), expiresAt };
  }

  /** Checks signature, kind and expiry (not whether it was used): `challenge_expired` otherwise. */
  open(kind: string, token: string): OpenedChallenge {
    const data = this.#d.tokens.verify(kind, token, this.#d.clock.now());
    return { data, token, expiresAt: Number(data['exp']) };
  }

  /**
   * Marks the challenge used; throws `challenge_expired` if it was already. Callers redeem after
   * every proof has checked out and before anything is changed, so a failed attempt (a wrong
   * signature) does not burn the challenge and a replay of a good one changes nothing.
   */
  async redeem(challenge: OpenedChallenge): Promise<void> {
    await this.#sweep();
    if (!(await this.#d.storage.redeemChallenge(sha256Hex(challenge.token), challenge.expiresAt))) {
      throw new ParleyError('challenge_expired', 'this challenge was already used: ask for a new one');
    }
  }

  async #sweep(): Promise<void> {
    const now = this.#d.clock.now();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + (this.#d.sweepEveryMs ?? 600_000);
    // A minute of slack: another node whose clock is behind still takes the challenge as unexpired.
    await this.#d.storage.deleteRedeemedChallengesBefore(now - CLOCK_SLACK_MS);
  }
}
