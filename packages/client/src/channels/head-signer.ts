import { ParleyError } from '@parley/protocol';
import type { RestFn } from '../session.ts';
import { signHead, type ChannelKey } from './signing.ts';

/** Waits before signing a refused head again: 1 s, 2 s, 4 s…, at most this many tries (then the next post or refresh signs it). */
const RETRY_MS = 1_000;
const RETRIES = 6;

export interface HeadSignerDeps {
  rest: RestFn;
  now(): number;
  /** Injected for tests; the default is setTimeout (unref'd where the platform allows, so a Node process may exit). */
  later?(fn: () => void, ms: number): void;
}

/**
 * R125: signs a channel's log head after a post of this device, and keeps trying when the PUT fails
 * (the post is stored by then, so the post itself succeeded): again after a backoff, and in any case
 * with the next post, edit or `refreshHead`, which sign a head at least as high.
 */
export class HeadSigner {
  readonly #d: HeadSignerDeps;
  /** The highest seq a head still has to be signed at, per channel. */
  readonly #pending = new Map<string, { key: ChannelKey; seq: number; tries: number }>();

  constructor(deps: HeadSignerDeps) {
    this.#d = deps;
  }

  /** The seq a head is still owed at (its PUT failed and no later one got through), if any. */
  pending(channelId: string): number | undefined {
    return this.#pending.get(channelId)?.seq;
  }

  /** Signs the head at `seq`; a failure is kept for retry, not thrown (true: stored or superseded). */
  async sign(channelId: string, key: ChannelKey, seq: number): Promise<boolean> {
    const owed = this.#pending.get(channelId);
    try {
      await this.put(channelId, key, Math.max(seq, owed?.seq ?? 0));
      return true;
    } catch (err) {
      console.warn(`parley: channel ${channelId}: signing the log head at seq ${seq} failed; trying again`, err);
      const kept = this.#pending.get(channelId);
      if (!kept || kept.seq <= seq) {
        this.#pending.set(channelId, { key, seq: Math.max(seq, kept?.seq ?? 0), tries: 0 });
        this.#retry(channelId);
      }
      return false;
    }
  }

  /** One PUT (settles what is owed up to `seq`); a newer head stored meanwhile by another admin is left as it is. Throws on any other refusal. */
  async put(channelId: string, key: ChannelKey, seq: number): Promise<void> {
    const blob = await signHead(key, { v: 1, channelId, seq, date: this.#d.now(), signer: key.publicKey });
    try {
      await this.#d.rest('PUT', `/channels/${encodeURIComponent(channelId)}/head`, blob);
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === 'channel_post_invalid' && /behind the stored head/.test(err.message))) throw err;
    }
    const owed = this.#pending.get(channelId);
    if (owed && owed.seq <= seq) this.#pending.delete(channelId);
  }

  #retry(channelId: string): void {
    const owed = this.#pending.get(channelId);
    if (!owed || owed.tries >= RETRIES) return;
    const wait = RETRY_MS * 2 ** owed.tries;
    owed.tries++;
    const later = this.#d.later ?? ((fn, ms) => { (setTimeout(fn, ms) as { unref?: () => void }).unref?.(); });
    later(() => {
      if (this.#pending.get(channelId) !== owed) return;
      this.put(channelId, owed.key, owed.seq).then(
        () => undefined,
        (err: unknown) => {
          console.warn(`parley: channel ${channelId}: signing the log head at seq ${owed.seq} failed again`, err);
          this.#retry(channelId);
        },
      );
    }, wait);
  }
}
