import { ParleyError } from '@parley/protocol';
import { accounts } from './accounts.ts';
import { RestApi } from './api.ts';
import type { DeviceKey } from './device-key.ts';

/** Calls the REST API as the signed-in device (ParleyClient's own, or `sessionRest`). */
export type RestFn = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** Where a device keeps its session token between runs (ParleyClient: the store's meta `session-token`). */
export interface TokenStore {
  get(): Promise<string | undefined>;
  set(token: string): Promise<void>;
}

/**
 * A device's session token: the kept one, or a new one signed in with the device key (the challenge
 * of docs/PROTOCOL.md "Identity") when there is none or the server refused it (`fresh`). Callers at
 * the same moment share one sign-in. Without a TokenStore the token lives in memory.
 */
export class SessionTokens {
  readonly #baseUrl: string;
  readonly #deviceId: string;
  readonly #deviceKey: DeviceKey;
  readonly #store: TokenStore;
  #signingIn: Promise<string> | undefined;

  constructor(baseUrl: string, deviceId: string, deviceKey: DeviceKey, store?: TokenStore) {
    this.#baseUrl = baseUrl;
    this.#deviceId = deviceId;
    this.#deviceKey = deviceKey;
    let memory: string | undefined;
    this.#store = store ?? { get: async () => memory, set: async (t) => { memory = t; } };
  }

  async get(fresh = false): Promise<string> {
    const kept = fresh ? undefined : await this.#store.get();
    if (kept) return kept;
    this.#signingIn ??= (async () => {
      const session = await accounts.login(this.#baseUrl, this.#deviceId, this.#deviceKey);
      await this.#store.set(session.token);
      return session.token;
    })().finally(() => { this.#signingIn = undefined; });
    return this.#signingIn;
  }
}

/** A RestFn sending the session's bearer token; a refused session (`session_invalid`) signs in again once. */
export function authedRest(baseUrl: string, tokens: SessionTokens): RestFn {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await new RestApi(baseUrl, await tokens.get()).call<T>(method, path, body);
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === 'session_invalid')) throw err;
      return new RestApi(baseUrl, await tokens.get(true)).call<T>(method, path, body);
    }
  };
}

/**
 * A RestFn for a signed-in device without a ParleyClient (scripts, or an app before ParleyClient
 * exposes its own): signs in with the device key on first use and again when the session ends.
 */
export function sessionRest(baseUrl: string, deviceId: string, deviceKey: DeviceKey): RestFn {
  return authedRest(baseUrl, new SessionTokens(baseUrl, deviceId, deviceKey));
}
