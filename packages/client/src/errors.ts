import { ParleyError } from '@parley/protocol';

// The SDK's own error classes, in a module of their own that imports no schema: an app can tell
// errors apart (`instanceof`) on a screen that has not loaded the rest of the SDK yet.

/** The server could not be reached at all (offline, DNS, refused): worth retrying later. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

export type DeviceLinkOutcome = 'denied' | 'expired' | 'locked' | 'displaced';

const ENDED: Record<DeviceLinkOutcome, { code: 'link_closed' | 'link_expired' | 'link_locked'; message: string }> = {
  denied: { code: 'link_closed', message: 'the sign-in request was denied' },
  expired: { code: 'link_expired', message: 'the sign-in request expired' },
  locked: { code: 'link_locked', message: 'too many wrong codes were typed' },
  // R43: the account's request slots were full and a newer request (perhaps a flood) took this one's.
  displaced: { code: 'link_closed', message: 'a newer sign-in request for this account took this one\'s place' },
};

/** A device link request (R23) ended without an approval; `outcome` says how. */
export class DeviceLinkEnded extends ParleyError {
  readonly outcome: DeviceLinkOutcome;
  constructor(status: DeviceLinkOutcome) {
    super(ENDED[status].code, ENDED[status].message);
    this.name = 'DeviceLinkEnded';
    this.outcome = status;
  }
}
