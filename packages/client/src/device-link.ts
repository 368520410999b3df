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

export { DeviceLinkEnded, type DeviceLinkOutcome } from './errors.ts';
// The new device's side, a module of its own: the web loads it only to link (not on the chat screen).
export { requestDeviceLink, type DeviceLinkRequest } from './device-link-request.ts';

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
