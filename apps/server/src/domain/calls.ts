import { createHmac, randomBytes } from 'node:crypto';
import { ParleyError, type TurnCredentials } from '@parley/protocol';
import type { TurnConfig } from '../config.ts';
import type { AuthContext } from './accounts.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface CallsDeps {
  /** Undefined where the operator configured no TURN server. */
  turn: TurnConfig | undefined;
  limiter: RateLimiter;
  /** Throws `not_member` unless `userId` is a member of `chatId`. */
  requireMember(chatId: string, userId: string): Promise<unknown>;
  now?: () => number;
}

/**
 * R60: time-limited TURN credentials for a member's call, by the TURN REST API's shared-secret
 * scheme (coturn `use-auth-secret`): username `expiry:opaque`, password base64(HMAC-SHA1(secret,
 * username)); the TURN server checks both and the expiry without asking Parley. The opaque part is
 * random per issue, so the TURN server's logs name no Parley user.
 */
export class Calls {
  readonly #d: CallsDeps;

  constructor(deps: CallsDeps) {
    this.#d = deps;
  }

  get turnEnabled(): boolean {
    return this.#d.turn !== undefined;
  }

  async turnCredentials(auth: AuthContext, chatId: string): Promise<TurnCredentials> {
    const turn = this.#d.turn;
    if (!turn) throw new ParleyError('calls_unavailable', 'calls are not set up on this server');
    await this.#d.requireMember(chatId, auth.userId);
    await this.#d.limiter.take(`turn:${auth.deviceId}`, turn.perHour / 3600, turn.perHour);
    const expiresAt = (this.#d.now ?? Date.now)() + turn.ttlMs;
    const username = `${Math.floor(expiresAt / 1000)}:${randomBytes(12).toString('base64url')}`;
    const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
    return { iceServers: [{ urls: turn.urls, username, credential }], expiresAt: Math.floor(expiresAt / 1000) * 1000 };
  }
}
