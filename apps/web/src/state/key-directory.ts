import { KeyDirectory, ParleyError, RestApi, accounts, type ClientStore, type DeviceKey, type ParleyClient, type RestCall } from '@parley/client';

/**
 * The key directory (key transparency, docs/PROTOCOL.md R19-R22) of the signed-in client.
 *
 * A bridge until ParleyClient owns one: the SDK client has no public REST call yet, so this signs
 * its REST calls the way the client does (the session token kept in the store's meta, a fresh login
 * with the device key when it is refused) and keeps its verified logs in the same meta store.
 */
const directories = new WeakMap<ParleyClient, KeyDirectory>();

export function keyDirectoryOf(client: ParleyClient): KeyDirectory | undefined {
  return directories.get(client);
}

export function attachKeyDirectory(client: ParleyClient, opts: { baseUrl: string; store: ClientStore; deviceKey: DeviceKey }): KeyDirectory {
  const api = new RestApi(opts.baseUrl);
  const token = async (fresh: boolean): Promise<string> => {
    const stored = fresh ? undefined : await opts.store.getMeta('session-token');
    if (stored) return stored;
    const session = await accounts.login(opts.baseUrl, client.deviceId, opts.deviceKey);
    await opts.store.setMeta('session-token', session.token);
    return session.token;
  };
  const rest: RestCall = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    api.token = await token(false);
    try {
      return await api.call<T>(method, path, body);
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== 'session_invalid') throw err;
      api.token = await token(true);
      return api.call<T>(method, path, body);
    }
  };
  const keys = new KeyDirectory({ rest, store: { get: (k) => opts.store.getMeta(k), set: (k, v) => opts.store.setMeta(k, v) } });
  directories.set(client, keys);
  // Publish this device's MLS key (R20) in the background; once done it is remembered in the store.
  void client.keyPackages?.identity().then((identity) => keys.publish(identity))
    .catch((err: unknown) => console.warn('parley: publishing this device\'s key failed', err));
  return keys;
}
