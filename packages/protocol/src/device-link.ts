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
 * `expired`: nobody approved in time; `locked`: too many wrong codes were typed. All but `pending`
 * are final.
 */
export const DeviceLinkStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'locked']);
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

/** A request waiting for approval, as the account's signed-in devices see it (never with its code). */
export const PendingDeviceLink = z.object({
  linkId: Id,
  deviceName: DeviceName,
  requestedAt: z.number().int(),
  expiresAt: z.number().int(),
  attemptsLeft: z.number().int().nonnegative(),
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
