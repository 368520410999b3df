import {
  ParleyError, mlsKeySigningMessage,
  type KeyLogQuery, type KeyLogResponse, type PublishMlsKeyRequest, type PublishMlsKeyResponse,
} from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock } from './ports.ts';
import { verifyEd25519 } from './secrets.ts';

export interface KeyLogDeps {
  storage: Storage;
  clock: Clock;
}

/**
 * The per-user device-key log (R19-R21): each device publishes its MLS signature key once, proving
 * it holds the key; revocations are appended by Storage.revokeDevice. Anyone signed in may read any
 * user's log, as they may look up any user: it is a directory of public keys. Clients check the hash
 * chain and that it only grows; the server cannot rewrite a history a client has seen unnoticed.
 */
export class KeyLog {
  readonly #d: KeyLogDeps;
  constructor(deps: KeyLogDeps) {
    this.#d = deps;
  }

  /** R20: the calling device binds its own MLS signature key to itself, once. */
  async publish(auth: AuthContext, input: PublishMlsKeyRequest): Promise<PublishMlsKeyResponse> {
    // One spelling per key, so "the same key again" compares equal whatever base64 the client sent.
    const mlsSignatureKey = Buffer.from(input.mlsSignatureKey, 'base64').toString('base64');
    if (!verifyEd25519(mlsSignatureKey, mlsKeySigningMessage(auth.userId, auth.deviceId), input.signature)) {
      throw new ParleyError('invalid_signature', 'the signature is not by this key over this device\'s publish message');
    }
    const { entry } = await this.#d.storage.publishMlsKey({ userId: auth.userId, deviceId: auth.deviceId, mlsSignatureKey, at: this.#d.clock.now() });
    return { entry };
  }

  /** R19: a page of any user's log, for any signed-in caller. */
  async read(_auth: AuthContext, userId: string, query: KeyLogQuery): Promise<KeyLogResponse> {
    if (!(await this.#d.storage.getUser(userId))) throw new ParleyError('user_not_found', 'no such user');
    const page = await this.#d.storage.getKeyLog(userId, query.after, query.limit);
    return { userId, ...page };
  }
}
