import { z } from 'zod';
import { DeviceName, Handle, Id } from './common.ts';
import { NewDevice } from './rest.ts';

/*
 * Device linking (R23-R28): a device with no passkey and no recovery code asks to join an account;
 * one of the account's signed-in devices approves it by typing the short code the new device shows.
 */

/** The code the new device shows: 6 decimal digits. Approvers may type it with spaces or dashes. */
export const DEVICE_LINK_CODE_DIGITS = 6;
export const DeviceLinkCode = z.string().regex(/^\d{6}$/, 'code: 6 digits');

/** POST /devices/link (no session) — the new device asks to join the account of `handle`. */
export const DeviceLinkRequest = z.object({ handle: Handle, device: NewDevice });
export type DeviceLinkRequest = z.infer<typeof DeviceLinkRequest>;
export const DeviceLinkStarted = z.object({
  linkId: Id,
  /** Show it to the person; they type it on a device that is signed in already. */
  code: DeviceLinkCode,
  expiresAt: z.number().int(),
});
export type DeviceLinkStarted = z.infer<typeof DeviceLinkStarted>;

/**
 * `expired`: nobody approved in time; `locked`: too many wrong codes were typed; `displaced`: the
 * account's request slots were full and a newer request from elsewhere took this one's (R43). All
 * but `pending` are final.
 */
export const DeviceLinkStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'locked', 'displaced']);
export type DeviceLinkStatus = z.infer<typeof DeviceLinkStatus>;

/** GET /devices/link/:linkId (no session) — what the new device polls. */
export const DeviceLinkState = z.object({
  linkId: Id,
  status: DeviceLinkStatus,
  expiresAt: z.number().int(),
  /** With `approved`: the new device signs in as `deviceId` with its own key (POST /auth/challenge). */
  userId: Id.optional(),
  deviceId: Id.optional(),
});
export type DeviceLinkState = z.infer<typeof DeviceLinkState>;

/**
 * A request waiting for approval, as the account's signed-in devices see it (never with its code).
 * R43: `requestedAt` and `origin` are what the server knows; `deviceName` is only what the new device
 * calls itself (anyone who knows the handle chooses it): show it as a quoted claim, after the facts.
 */
export const PendingDeviceLink = z.object({
  linkId: Id,
  /** Chosen by whoever sent the request: a claim, never a fact. */
  deviceName: DeviceName,
  /** Server time the request arrived. */
  requestedAt: z.number().int(),
  expiresAt: z.number().int(),
  attemptsLeft: z.number().int().nonnegative(),
  /**
   * Where the request came from, as far as the operator lets the server tell (PARLEY_LINK_ORIGIN_HINT):
   * absent by default, an address prefix (`203.0.113.x`, `2001:db8:5:7::/64`) or the whole address.
   */
  origin: z.string().max(64).optional(),
});
export type PendingDeviceLink = z.infer<typeof PendingDeviceLink>;

/** GET /devices/link/pending */
export const PendingDeviceLinksResponse = z.object({ links: z.array(PendingDeviceLink) });
export type PendingDeviceLinksResponse = z.infer<typeof PendingDeviceLinksResponse>;

/** POST /devices/link/:linkId/approve — `code` as the person typed it (non-digits are ignored). */
export const ApproveDeviceLinkRequest = z.object({ code: z.string().min(1).max(32) });
export type ApproveDeviceLinkRequest = z.infer<typeof ApproveDeviceLinkRequest>;

/** A device of the account, as told to its other devices when it is added (login alert). */
export const AddedDevice = z.object({ deviceId: Id, name: DeviceName, createdAt: z.number().int() });
export type AddedDevice = z.infer<typeof AddedDevice>;

/** POST /devices/link/:linkId/approve answers with the device it added. */
export const DeviceLinkApproved = z.object({ device: AddedDevice });
export type DeviceLinkApproved = z.infer<typeof DeviceLinkApproved>;

/** Digits only: "123 456" and "123-456" are the code 123456. */
export function normalizeDeviceLinkCode(code: string): string {
  return code.replace(/\D/g, '');
}
