import { ParleyError, type DeviceAdded, type DeviceLinkStarted, type DeviceLinkState } from '@parley/protocol';
import { RestApi } from './api.ts';
import type { DeviceKey } from './device-key.ts';
import { DeviceLinkEnded, NetworkError } from './errors.ts';

/** R23: the new device's side of linking (device-link.ts has the signed-in device's). */
export interface DeviceLinkRequest {
  linkId: string;
  /** Show it: the person types it on a device that is signed in already. */
  code: string;
  expiresAt: number;
  /**
   * Polls until the request is answered. Resolves with the added device when approved; rejects with
   * `DeviceLinkEnded` when denied (`link_closed`), expired (`link_expired`), locked after too
   * many wrong codes (`link_locked`) or displaced by a newer request (`link_closed`, R43), or with an
   * AbortError when `signal` aborts.
   */
  wait(opts?: { intervalMs?: number; signal?: AbortSignal }): Promise<DeviceAdded>;
}

/** R23: asks to add this device (its key) to the account of `handle`; see DeviceLinkRequest. */
export async function requestDeviceLink(baseUrl: string, handle: string, deviceName: string, deviceKey: DeviceKey): Promise<DeviceLinkRequest> {
  const api = new RestApi(baseUrl);
  const started = await api.call<DeviceLinkStarted>('POST', '/devices/link', { handle, device: { name: deviceName, publicKey: deviceKey.publicKey } });
  return {
    ...started,
    wait: (opts = {}) => waitForLink(api, started, opts.intervalMs ?? 1000, opts.signal),
  };
}

async function waitForLink(api: RestApi, started: DeviceLinkStarted, intervalMs: number, signal: AbortSignal | undefined): Promise<DeviceAdded> {
  for (;;) {
    signal?.throwIfAborted();
    let delay = intervalMs;
    try {
      const state = await api.call<DeviceLinkState>('GET', `/devices/link/${encodeURIComponent(started.linkId)}`);
      if (state.status === 'approved' && state.userId && state.deviceId) return { userId: state.userId, deviceId: state.deviceId };
      if (state.status !== 'pending' && state.status !== 'approved') throw new DeviceLinkEnded(state.status);
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'rate_limited') delay = Math.max(intervalMs, (err.retryAfter ?? 1) * 1000);
      // A flaky network is retried until the request's expiry; anything else is the answer.
      else if (!(err instanceof NetworkError)) throw err;
    }
    await sleep(delay, signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

