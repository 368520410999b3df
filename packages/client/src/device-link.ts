import {
  ParleyError,
  type AddedDevice, type DeviceAdded, type DeviceLinkApproved, type DeviceLinkStarted, type DeviceLinkState, type DeviceInfo,
  type MeResponse, type PendingDeviceLink, type PendingDeviceLinksResponse,
} from '@parley/protocol';
import { RestApi } from './api.ts';
import { DeviceLinkEnded, NetworkError } from './errors.ts';
import type { DeviceKey } from './device-key.ts';

/**
 * Linking a new device from one already signed in (docs/PROTOCOL.md R23-R27).
 *
 * On the new device (no session yet):
 * ```ts
 * const link = await requestDeviceLink(baseUrl, 'alice', 'Firefox on Linux', deviceKey);
 * show(link.code);                       // the person types it on a signed-in device
 * const { userId, deviceId } = await link.wait();
 * const session = await accounts.login(baseUrl, deviceId, deviceKey);
 * ```
 * On a signed-in device, with any `rest` function that sends the session's bearer token:
 * `pendingDeviceLinks(rest)`, `approveDeviceLink(rest, linkId, code)`, `denyDeviceLink(rest, linkId)`.
 */

export { sessionRest, type RestFn } from './session.ts';
import type { RestFn } from './session.ts';

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

export { DeviceLinkEnded, type DeviceLinkOutcome } from './errors.ts';

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

/** R26: the account's link requests waiting for approval (never with their codes). */
export async function pendingDeviceLinks(rest: RestFn): Promise<PendingDeviceLink[]> {
  return (await rest<PendingDeviceLinksResponse>('GET', '/devices/link/pending')).links;
}

/**
 * R24: approves with the code the person read off the new device ("123 456" is fine). Errors:
 * `link_code_wrong` (try again), `link_locked`, `link_expired`, `link_closed`, `link_not_found`.
 */
export async function approveDeviceLink(rest: RestFn, linkId: string, code: string): Promise<AddedDevice> {
  return (await rest<DeviceLinkApproved>('POST', `/devices/link/${encodeURIComponent(linkId)}/approve`, { code })).device;
}

/** R24: refuses the request; the new device's `wait()` rejects with `DeviceLinkEnded('denied')`. */
export async function denyDeviceLink(rest: RestFn, linkId: string): Promise<void> {
  await rest<void>('POST', `/devices/link/${encodeURIComponent(linkId)}/deny`);
}

/**
 * R27 for devices that were offline: the account's other devices added after `since` (ms), newest
 * first. Keep `since` per device (the time the person last saw the alert) and show these.
 */
export function devicesAddedSince(me: MeResponse, since: number): DeviceInfo[] {
  return me.devices.filter((d) => !d.current && d.createdAt > since).sort((a, b) => b.createdAt - a.createdAt);
}
