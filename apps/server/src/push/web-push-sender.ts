import { Agent, request } from 'node:https';
import type { LookupFunction } from 'node:net';
import webpush from 'web-push';
import type { ResolvedAddress, PushTarget } from '../domain/push-endpoint-policy.ts';
import type { PushSender, PushSendOptions } from '../domain/push.ts';
import type { PushSubscriptionRow } from '../storage/storage.ts';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export function generateVapidKeys(): VapidKeys {
  return webpush.generateVAPIDKeys();
}

export interface WebPushSenderOptions {
  /**
   * Certificates to trust instead of the system's, for push services (tests: a local push service's
   * self-signed certificate). Not configurable by environment: production always checks against the
   * system's CAs.
   */
  ca?: string | Buffer;
  timeoutMs?: number;
}

/** The largest push service answer body read (and thrown away). */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * Web Push (RFC 8030/8291/8292) through the `web-push` library, which encrypts (aes128gcm) and signs
 * (VAPID). The request goes out over node:https to one of the addresses R37's check saw for the
 * push service's host (a lookup that answers only those, so no second DNS query can point it
 * elsewhere), with TLS checked against the host name, and follows no redirect.
 */
export class WebPushSender implements PushSender {
  readonly publicKey: string;
  readonly #options: webpush.RequestOptions;
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(keys: VapidKeys, subject: string, opts: WebPushSenderOptions = {}) {
    this.publicKey = keys.publicKey;
    this.#options = { vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey }, TTL: 3600, contentEncoding: 'aes128gcm' };
    // Its own pool: sockets to push services are kept for the next push and shared with nothing else.
    this.#agent = new Agent({ keepAlive: true, maxSockets: 16, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(sub: PushSubscriptionRow, payload: string, target: PushTarget, options: PushSendOptions = {}): Promise<{ gone: boolean }> {
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
        ...this.#options,
        ...(options.ttlSeconds !== undefined ? { TTL: options.ttlSeconds } : {}),
        ...(options.urgency !== undefined ? { urgency: options.urgency } : {}),
      });
    const body = details.body ? Buffer.from(details.body) : Buffer.alloc(0);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        agent: this.#agent,
        method: details.method,
        hostname: target.hostname,
        port: target.port,
        path: `${target.url.pathname}${target.url.search}`,
        headers: details.headers as Record<string, string | number>,
        lookup: pinnedLookup(target.addresses),
        signal: AbortSignal.timeout(this.#timeoutMs),
      }, (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('error', () => {});
        res.on('close', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    if (status === 404 || status === 410) return { gone: true };
    // 3xx too: a push service never redirects, and following one would lead anywhere.
    if (status < 200 || status >= 300) throw new Error(`push service answered ${status}`);
    return { gone: false };
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * A DNS lookup that answers only with the addresses already checked (R37): the socket connects to
 * one of them whatever the name resolves to by now. Node asks with `all` when it tries several
 * addresses (happy eyeballs).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = typeof options === 'object' && options !== null ? options.family : undefined;
    const usable = addresses.filter((a) => !family || family === a.family || family === `IPv${a.family}`);
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '', 4);
      return;
    }
    if (typeof options === 'object' && options !== null && options.all) {
      (callback as unknown as (err: null, all: { address: string; family: number }[]) => void)(null, usable.map((a) => ({ address: a.address, family: a.family })));
    } else {
      callback(null, first.address, first.family);
    }
  };
}
