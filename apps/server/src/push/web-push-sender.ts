import webpush from 'web-push';
import type { PushSender } from '../domain/push.ts';
import type { PushSubscriptionRow } from '../storage/storage.ts';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export function generateVapidKeys(): VapidKeys {
  return webpush.generateVAPIDKeys();
}

/** Web Push (RFC 8030/8291/8292) through the `web-push` library; payloads are encrypted per subscription. */
export class WebPushSender implements PushSender {
  readonly publicKey: string;
  readonly #options: webpush.RequestOptions;

  constructor(keys: VapidKeys, subject: string) {
    this.publicKey = keys.publicKey;
    this.#options = { vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey }, TTL: 3600, contentEncoding: 'aes128gcm' };
  }

  async send(sub: PushSubscriptionRow, payload: string): Promise<{ gone: boolean }> {
    // web-push encrypts (aes128gcm) and signs (VAPID); the request itself goes out through fetch,
    // with a timeout, to whatever push service the browser subscribed with.
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, this.#options);
    const response = await fetch(details.endpoint, {
      method: details.method,
      headers: details.headers as Record<string, string>,
      body: details.body ? new Uint8Array(details.body) : null,
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404 || response.status === 410) return { gone: true };
    if (!response.ok) throw new Error(`push service answered ${response.status}`);
    return { gone: false };
  }
}
