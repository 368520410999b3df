import { browserSupportsWebAuthn } from '@simplewebauthn/browser';

/**
 * What the welcome screen needs of the session without the SDK: ./session.ts pulls in the client,
 * MLS and the stores, so it is loaded only when there is a session to resume or the person starts
 * to sign up or in (docs/ARCHITECTURE.md "Code splitting in the web client").
 */

/** The IndexedDB database that holds this browser's session (device key, sealed store). */
export const DB_NAME = 'parley';

export type SessionModule = typeof import('./session.ts');

let loading: Promise<SessionModule> | undefined;

/** The session module, loaded once; call it early (when a form opens) so a ceremony does not wait for it. */
export function loadSession(): Promise<SessionModule> {
  loading ??= import('./session.ts').catch((err: unknown) => {
    loading = undefined; // a failed chunk load (offline, new release) is tried again next time
    throw err;
  });
  return loading;
}

/**
 * Whether this browser may hold a session: false only when IndexedDB lists its databases and ours
 * is not among them (a first visit, or after signing out), so the welcome screen shows at once.
 */
export async function mayHaveSession(): Promise<boolean> {
  if (typeof indexedDB === 'undefined' || typeof indexedDB.databases !== 'function') return true;
  try {
    return (await indexedDB.databases()).some((db) => db.name === DB_NAME);
  } catch {
    return true;
  }
}

/** Whether this browser can make and use passkeys at all (WebAuthn present); where not, accounts are held by the device key (R46). */
export function passkeysAvailable(): boolean {
  return browserSupportsWebAuthn();
}
