import { ParleyError, type KeyPackageCountResponse, type MeResponse, type MlsTreeResponse } from '@parley/protocol';
import { base64ToBytes } from '../encoding.ts';
import { NetworkError } from '../api.ts';
import { DEFAULT_HOLD_FOR_REMOVAL_MS, type BackgroundError, type ClientOptions } from '../client-options.ts';
import { Disconnected } from '../connection.ts';
import { KeyPackageKeeper } from '../key-packages.ts';
import { DEFAULT_OWN_KEY_LOG_CHECK_MS, KeyDirectory, OwnKeyLogMonitor, type KeyLogAlert } from '../key-log/index.ts';
import type { RestFn } from '../session.ts';
import { KeyLogTrust } from './member-trust.ts';
import { MlsCodec } from './mls-codec.ts';
import { RemovalHold } from './removal-hold.ts';

/** What the key-handling parts need from the client. */
export interface KeyPartsHost {
  userId: string;
  deviceId: string;
  rest: RestFn;
  keyPackageCount(): Promise<KeyPackageCountResponse>;
  me(): Promise<MeResponse>;
  online(): boolean;
  stopped(): boolean;
  /** A user's key-log head moved (R33 compares heads across a chat's members). */
  headMoved(userId: string): void;
  onAlert(alert: KeyLogAlert): void;
  changed(): void;
  backgroundError(error: BackgroundError): void;
}

export interface KeyParts {
  /** Keeps this device's key packages on the server (absent with MLS turned off). */
  keyPackages: KeyPackageKeeper | undefined;
  /** The per-user device-key logs (R19-R22). */
  keys: KeyDirectory;
  /** Reviews this user's own key log (R31). */
  ownLog: OwnKeyLogMonitor;
  /** Holds a chat's messages while its device list may be stale (R34). */
  hold: RemovalHold;
  /** The MLS codec, unless MLS is off or the client was given its own codec. */
  mls: MlsCodec | undefined;
}

/** Builds the device's key handling: key packages, key logs and their checks, and the MLS codec that trusts a leaf only as the key log says. */
export function keyParts(options: ClientOptions, host: KeyPartsHost): KeyParts {
  const mls = options.mls ?? { enabled: true };
  const meta = { get: (k: string) => options.store.getMeta(k), set: (k: string, v: string) => options.store.setMeta(k, v) };
  const keyPackages = mls.enabled
    ? new KeyPackageKeeper({
      userId: host.userId,
      deviceId: host.deviceId,
      store: options.store,
      directory: { count: () => host.keyPackageCount(), upload: (request) => host.rest('POST', '/keypackages', request) },
      ...(mls.target !== undefined ? { target: mls.target } : {}),
      ...(mls.refillBelow !== undefined ? { refillBelow: mls.refillBelow } : {}),
      ...(options.backoff ? { retry: options.backoff } : {}),
      onError: (error) => host.backgroundError({ task: 'key-packages', error }),
    })
    : undefined;
  const keys = new KeyDirectory({ rest: host.rest, store: meta, onHead: (userId) => host.headMoved(userId) });
  const ownLog = new OwnKeyLogMonitor({
    userId: host.userId, deviceId: host.deviceId, store: meta,
    log: () => keys.log(host.userId, 0),
    devices: async () => (await host.me()).devices,
    online: () => host.online(),
    intervalMs: options.ownKeyLogCheckMs ?? DEFAULT_OWN_KEY_LOG_CHECK_MS,
    onAlert: (alert) => host.onAlert(alert),
    onChange: () => host.changed(),
    onError: (error) => { if (!(error instanceof NetworkError) && !(error instanceof Disconnected)) host.backgroundError({ task: 'key-log', error }); },
  });
  const e2ee = mls.enabled && !options.codec;
  const hold = new RemovalHold({ holdMs: e2ee ? (options.mls?.holdForRemovalMs ?? DEFAULT_HOLD_FOR_REMOVAL_MS) : 0 });
  const trust = new KeyLogTrust({ keys, onError: (error) => host.backgroundError({ task: 'key-log', error }), stopped: () => host.stopped() });
  const codec = !options.codec && keyPackages
    ? new MlsCodec({
      userId: host.userId, deviceId: host.deviceId, store: options.store, keys: keyPackages,
      // A leaf is genuine only if its user's key log binds that device to that signature key.
      session: { authenticate: (member, key) => trust.authenticate(member, key), ...(mls.welcomeTreeMaxBytes !== undefined ? { welcomeTreeMaxBytes: mls.welcomeTreeMaxBytes } : {}) },
      trust,
      hold,
      ...(options.mls?.engine ? { engine: options.mls.engine } : {}),
      // R35b: a big group's Welcome leaves the tree to the delivery service, which keeps it for the joiners.
      tree: async (chatId, epoch) => {
        try {
          return base64ToBytes((await host.rest<MlsTreeResponse>('GET', `/chats/${chatId}/mls/tree/${epoch}`)).tree);
        } catch (err) {
          if (err instanceof ParleyError && (err.code === 'mls_tree_not_found' || err.code === 'not_member')) return undefined;
          throw err;
        }
      },
    })
    : undefined;
  return { keyPackages, keys, ownLog, hold, mls: codec };
}
