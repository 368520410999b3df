import { startRegistration, type startAuthentication } from '@simplewebauthn/browser';
import {
  IndexedDbStore, ParleyClient, SealedStore, accounts, deviceKeyFromKeyPair, generateDeviceKey, getStoreKeyKind, localStoreKey,
  newPassphraseStoreKey, newPrfStoreKey, prfExtension, sessionRest, setStoreKeyKind, storeKeyFromPassphrase,
  takePrfOutput, unlockWithPasskey,
  type DeviceKey, type RestFn, type StoreKeyKind,
} from '@parley/client';
// Not re-exported from the SDK's index yet; see apps/web/README.md.
import { loadDeviceKey, saveDeviceKey } from '../../../../packages/client/src/stores/indexeddb-store.ts';
import { DB_NAME } from './session-loader.ts';
import { relayCallsOn } from '../calls/relay-setting.ts';
import { answerCallPushes, rememberRingWhenClosed } from '../calls/ring-push.ts';
import { attachFrameCrypto, framePeerFactory } from '../calls/frame-crypto.ts';
import { workerMlsEngine } from '../mls/mls-engine.ts';
const baseUrl = location.origin;

/** "Chrome on Android": how this browser appears in the person's list of devices. */
function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS'
    : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return `${browser}${os ? ` on ${os}` : ''}`;
}

/** What seals this browser's store: the local key, the passphrase or the passkey (docs/ARCHITECTURE.md "Keys at rest"). */
export type StoreProtection = StoreKeyKind['kind'];

let open: { store: SealedStore; client: ParleyClient; rest: RestFn; protection: StoreProtection } | undefined;

async function startClient(store: SealedStore, session: { userId: string; deviceId: string }, key: DeviceKey, protection: StoreProtection): Promise<ParleyClient> {
  const client = new ParleyClient({ baseUrl, session, deviceKey: key, store, mls: { enabled: true, engine: workerMlsEngine() }, calls: { relayOnly: relayCallsOn(), peer: framePeerFactory, frameCrypto: attachFrameCrypto } });
  // The SDK's connection follows the browser's online/offline events itself (connection.ts browserNetwork).
  open = { store, client, rest: sessionRest(baseUrl, session.deviceId, key), protection };
  answerCallPushes(client); // R118
  await client.start();
  return client;
}

/**
 * A session kept in IndexedDB whose store is sealed with a key that is not kept: `unlock` asks the
 * passkey (`by: 'passkey'`) or takes the passphrase the person typed (`by: 'passphrase'`).
 */
export type LockedSession =
  | { locked: true; by: 'passkey'; unlock(): Promise<ParleyClient> }
  | { locked: true; by: 'passphrase'; unlock(passphrase: string): Promise<ParleyClient> };

/**
 * Resumes the session kept in IndexedDB (works offline), or undefined when signed out. The store is
 * sealed at rest (docs/ARCHITECTURE.md "Keys at rest on the device"): with the local key it opens
 * at once; with a passkey's PRF key the person unlocks it first (once per load).
 */
export async function resume(): Promise<ParleyClient | LockedSession | undefined> {
  const idb = await IndexedDbStore.open(DB_NAME);
  const saved = await loadDeviceKey(idb);
  if (!saved) {
    // Not deleted: another tab may be signing up into it right now (adopt).
    await idb.close();
    return undefined;
  }
  const session = { userId: saved.userId, deviceId: saved.deviceId };
  const deviceKey = await deviceKeyFromKeyPair(saved.keyPair);
  // A database from before sealing has no kind: the local key, and its records are sealed now.
  const kind = (await getStoreKeyKind(idb)) ?? { kind: 'local' };
  switch (kind.kind) {
    case 'local':
      return startClient(await SealedStore.open(idb, await localStoreKey(idb)), session, deviceKey, 'local');
    case 'prf':
      return { locked: true, by: 'passkey', unlock: async () => startClient(await SealedStore.open(idb, await unlockWithPasskey(kind)), session, deviceKey, 'prf') };
    case 'passphrase':
      return {
        locked: true,
        by: 'passphrase',
        // A wrong passphrase gives another key: SealedStore refuses it (store_key_mismatch) before reading anything.
        unlock: async (passphrase) => startClient(await SealedStore.open(idb, await storeKeyFromPassphrase(passphrase, kind)), session, deviceKey, 'passphrase'),
      };
  }
}

/** How a new session's store is sealed: a passkey's PRF key when the ceremony gave one, a passphrase's key, else the local key. */
type StoreKeyChoice = { kind: StoreKeyKind; key: CryptoKey } | undefined;

async function adopt(userId: string, deviceId: string, key: DeviceKey, storeKey?: StoreKeyChoice): Promise<ParleyClient> {
  // A fresh account or device starts from an empty database (nothing of another account left).
  await IndexedDbStore.destroy(DB_NAME);
  const idb = await IndexedDbStore.open(DB_NAME);
  await saveDeviceKey(idb, { userId, deviceId, keyPair: key.keyPair });
  const chosen = storeKey ?? { kind: { kind: 'local' } as const, key: await localStoreKey(idb) };
  await setStoreKeyKind(idb, chosen.kind);
  return startClient(await SealedStore.open(idb, chosen.key), { userId, deviceId }, key, chosen.kind.kind);
}

/** The store key from a passkey ceremony's PRF output (taken out of the response: it never reaches the server). */
async function prfStoreKey(response: { id: string; clientExtensionResults: unknown }, rpId: string | undefined): Promise<StoreKeyChoice> {
  const output = takePrfOutput(response.clientExtensionResults);
  return output ? newPrfStoreKey(output, response.id, rpId ?? location.hostname) : undefined;
}

/** Adds the PRF extension to a ceremony's options (simplewebauthn passes `extensions` through as they are). */
function withPrf<T extends { extensions?: object }>(options: T): T {
  return { ...options, extensions: { ...options.extensions, ...prfExtension() } };
}

const newDevice = (key: DeviceKey) => ({ name: deviceName(), publicKey: key.publicKey });

/** Sign-up with a passkey; returns the client and the one-time recovery code. */
export async function signUp(handle: string, displayName: string): Promise<{ client: ParleyClient; recoveryCode: string }> {
  const key = await generateDeviceKey();
  const { flowId, options } = await accounts.passkeyRegisterOptions(baseUrl, { handle, displayName });
  const optionsJSON = options as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'];
  const response = await startRegistration({ optionsJSON: withPrf(optionsJSON) });
  const storeKey = await prfStoreKey(response, optionsJSON.rp.id);
  const created = await accounts.passkeyRegisterVerify(baseUrl, { flowId, response, device: newDevice(key) });
  return { client: await adopt(created.userId, created.deviceId, key, storeKey), recoveryCode: created.recoveryCode };
}

/**
 * R46: sign-up without a passkey (none in this browser, or the person's choice). The account is held
 * by this browser's device key and the recovery code, as the CLI's is; the store is sealed with the
 * local key, or with `passphrase` when the person chose one.
 */
export async function signUpWithDeviceKey(handle: string, displayName: string, passphrase?: string): Promise<{ client: ParleyClient; recoveryCode: string }> {
  const key = await generateDeviceKey();
  // Derived before the account exists: a refused passphrase leaves nothing half made.
  const storeKey = passphrase ? await newPassphraseStoreKey(passphrase) : undefined;
  const created = await accounts.createWithDeviceKey(baseUrl, { handle, displayName, deviceName: deviceName(), deviceKey: key });
  return { client: await adopt(created.userId, created.deviceId, key, storeKey), recoveryCode: created.recoveryCode };
}

/**
 * R46: adds a passkey to the signed-in account (made without one, or a second one). The store's key
 * stays as it is: the passkey is for signing in on other browsers.
 */
export async function addPasskey(client: ParleyClient): Promise<void> {
  const rest = deviceRest(client);
  if (!rest) throw new Error('this device is not signed in');
  const { flowId, options } = await accounts.passkeyAddOptions(rest);
  const response = await startRegistration({ optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'] });
  await accounts.passkeyAddVerify(rest, { flowId, response });
}

/** What seals this browser's store for the signed-in `client`. */
export function storeProtection(client: ParleyClient): StoreProtection | undefined {
  return open?.client === client ? open.protection : undefined;
}

export async function signInWithPasskey(): Promise<ParleyClient> {
  const key = await generateDeviceKey();
  const { flowId, options } = await accounts.passkeyLoginOptions(baseUrl);
  const optionsJSON = options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'];
  // Loaded only here, as linking is (sign-up and the chat screen don't sign in: their JS budget, code-split.e2e.ts).
  // By path: the package's index is on the first screen (browserSupportsWebAuthn), importing it lazily would put everything there.
  const { startAuthentication: authenticate } = await import('../../../../node_modules/@simplewebauthn/browser/esm/methods/startAuthentication.js');
  const response = await authenticate({ optionsJSON: withPrf(optionsJSON) });
  const storeKey = await prfStoreKey(response, optionsJSON.rpId);
  const added = await accounts.passkeyLoginVerify(baseUrl, { flowId, response, device: newDevice(key) });
  return adopt(added.userId, added.deviceId, key, storeKey);
}

/** Sign-in on a new device with the recovery code; the server issues a new code (the old one is spent). */
export async function signInWithRecovery(handle: string, recoveryCode: string): Promise<{ client: ParleyClient; recoveryCode: string }> {
  const key = await generateDeviceKey();
  const created = await accounts.recover(baseUrl, { handle, recoveryCode: recoveryCode.trim().toUpperCase(), device: newDevice(key) });
  return { client: await adopt(created.userId, created.deviceId, key), recoveryCode: created.recoveryCode };
}

/**
 * Sign-in by linking (R23-R25): asks to join the account of `handle` and returns the code to show;
 * `signedIn` resolves once a device already signed in approves with that code.
 */
export async function linkThisDevice(handle: string, signal: AbortSignal): Promise<{ code: string; expiresAt: number; signedIn: Promise<ParleyClient> }> {
  const key = await generateDeviceKey();
  // Loaded only here: linking is not on the chat screen's path (its JS budget, apps/web/e2e/code-split.e2e.ts).
  const { requestDeviceLink } = await import('../../../../packages/client/src/device-link-request.ts');
  const link = await requestDeviceLink(baseUrl, handle, deviceName(), key);
  const signedIn = link.wait({ intervalMs: 1500, signal }).then((added) => adopt(added.userId, added.deviceId, key));
  return { code: link.code, expiresAt: link.expiresAt, signedIn };
}

/**
 * REST as this signed-in device, for the calls ParleyClient does not offer yet (device linking).
 * It holds a session of its own, signed in with the device key on first use.
 */
export function deviceRest(client: ParleyClient): RestFn | undefined {
  return open?.client === client ? open.rest : undefined;
}

/** Signs this device out on the server (best effort) and deletes everything this browser holds. */
export async function signOut(): Promise<void> {
  const current = open;
  open = undefined;
  answerCallPushes(undefined);
  rememberRingWhenClosed(false);
  if (current) {
    await current.client.revokeDevice(current.client.deviceId).catch((err: unknown) => console.warn('parley: revoke on sign-out failed', err));
    await current.client.stop();
    await current.store.close();
  }
  await unsubscribePush();
  await IndexedDbStore.destroy(DB_NAME);
}

async function pushRegistration(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return undefined;
  return navigator.serviceWorker.getRegistration();
}

async function unsubscribePush(): Promise<void> {
  const registration = await pushRegistration().catch(() => undefined);
  await (await registration?.pushManager.getSubscription())?.unsubscribe().catch(() => false);
}

export type NotificationStatus = 'on' | 'off' | 'denied' | 'unsupported';

export async function notificationStatus(): Promise<NotificationStatus> {
  const registration = await pushRegistration();
  if (!registration) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  return Notification.permission === 'granted' && (await registration.pushManager.getSubscription()) ? 'on' : 'off';
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Subscribes this device to Web Push (the payload never carries message text, R12). */
export async function enableNotifications(client: ParleyClient): Promise<NotificationStatus> {
  const registration = await pushRegistration();
  if (!registration) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const key = await client.pushVapidKey();
  const subscription = (await registration.pushManager.getSubscription())
    ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) }));
  await client.subscribePush(subscription.toJSON());
  return 'on';
}
