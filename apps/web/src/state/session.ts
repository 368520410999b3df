import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import {
  IndexedDbStore, ParleyClient, accounts, deviceKeyFromKeyPair, generateDeviceKey, type DeviceKey,
} from '@parley/client';

const DB_NAME = 'parley';
const baseUrl = location.origin;

interface SavedSession {
  userId: string;
  deviceId: string;
  keyPair: CryptoKeyPair;
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return `${browser}${os ? ` on ${os}` : ''}`;
}

let openStore: IndexedDbStore | undefined;

async function makeClient(store: IndexedDbStore, saved: SavedSession, key: DeviceKey): Promise<ParleyClient> {
  openStore = store;
  const client = new ParleyClient({ baseUrl, session: { userId: saved.userId, deviceId: saved.deviceId }, deviceKey: key, store });
  addEventListener('online', () => client.reconnect());
  await client.start();
  return client;
}

/** Resumes the session kept in IndexedDB (works offline), or undefined when signed out. */
export async function resume(): Promise<ParleyClient | undefined> {
  const store = await IndexedDbStore.open(DB_NAME);
  const saved = await store.getValue<SavedSession>('session');
  if (!saved) return undefined;
  return makeClient(store, saved, await deviceKeyFromKeyPair(saved.keyPair));
}

async function adopt(userId: string, deviceId: string, key: DeviceKey): Promise<ParleyClient> {
  const store = await IndexedDbStore.open(DB_NAME);
  const saved: SavedSession = { userId, deviceId, keyPair: key.keyPair };
  await store.putValue('session', saved);
  return makeClient(store, saved, key);
}

/** Sign-up with a passkey; returns the client and the one-time recovery code. */
export async function signUp(handle: string, displayName: string): Promise<{ client: ParleyClient; recoveryCode: string }> {
  const key = await generateDeviceKey();
  const { flowId, options } = await accounts.passkeyRegisterOptions(baseUrl, { handle, displayName });
  const response = await startRegistration({ optionsJSON: options as never });
  const created = await accounts.passkeyRegisterVerify(baseUrl, { flowId, response, device: { name: deviceName(), publicKey: key.publicKey } });
  return { client: await adopt(created.userId, created.deviceId, key), recoveryCode: created.recoveryCode };
}

export async function signInWithPasskey(): Promise<ParleyClient> {
  const key = await generateDeviceKey();
  const { flowId, options } = await accounts.passkeyLoginOptions(baseUrl);
  const response = await startAuthentication({ optionsJSON: options as never });
  const added = await accounts.passkeyLoginVerify(baseUrl, { flowId, response, device: { name: deviceName(), publicKey: key.publicKey } });
  return adopt(added.userId, added.deviceId, key);
}

export async function signInWithRecovery(handle: string, recoveryCode: string): Promise<{ client: ParleyClient; recoveryCode: string }> {
  const key = await generateDeviceKey();
  const created = await accounts.recover(baseUrl, { handle, recoveryCode, device: { name: deviceName(), publicKey: key.publicKey } });
  return { client: await adopt(created.userId, created.deviceId, key), recoveryCode: created.recoveryCode };
}

/** Forgets everything this browser holds of the account. */
export async function signOut(client: ParleyClient | undefined): Promise<void> {
  if (client) {
    await client.revokeDevice(client.deviceId).catch(() => {});
    await client.stop();
  }
  await openStore?.close();
  openStore = undefined;
  await IndexedDbStore.destroy(DB_NAME);
}

/** Subscribes this device to Web Push (the payload never carries message text). */
export async function enableNotifications(client: ParleyClient): Promise<boolean> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return false;
  if ((await Notification.requestPermission()) !== 'granted') return false;
  const registration = await navigator.serviceWorker.ready;
  const key = await client.pushVapidKey();
  const padding = '='.repeat((4 - (key.length % 4)) % 4);
  const raw = Uint8Array.from(atob((key + padding).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
  await client.subscribePush(subscription.toJSON() as { endpoint: string; keys: Record<string, string> });
  return true;
}
