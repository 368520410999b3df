import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/** R163: a URL the bot gives is fetched for at most this long, redirects and body included (`--url-timeout-s`). */
export const DEFAULT_URL_TIMEOUT_MS = 30_000;
/** R163: redirects followed at most, each to a checked address (`--url-max-redirects`). */
export const DEFAULT_URL_MAX_REDIRECTS = 5;
/** R163: the longest URL taken. */
export const MAX_URL_LENGTH = 2048;

/**
 * R163: why a URL gave no file, each code as the Telegram facade says it (in its description:
 * `failed to get HTTP URL content: URL_PRIVATE_ADDRESS`) and as the Max facade does (its `code`).
 */
export const URL_FETCH_ERRORS = {
  invalid: { telegram: 'URL_INVALID', max: 'url.invalid', text: 'not an http(s) URL' },
  private: { telegram: 'URL_PRIVATE_ADDRESS', max: 'url.private.address', text: 'the host is a loopback, private, link-local or otherwise non-public address' },
  unreachable: { telegram: 'URL_UNREACHABLE', max: 'url.unreachable', text: 'the host could not be reached' },
  status: { telegram: 'URL_HTTP_STATUS', max: 'url.http.status', text: 'the server did not answer 200' },
  redirects: { telegram: 'URL_TOO_MANY_REDIRECTS', max: 'url.too.many.redirects', text: 'too many redirects' },
  tooLarge: { telegram: 'URL_TOO_LARGE', max: 'url.too.large', text: 'the file is larger than the upload limit' },
  timeout: { telegram: 'URL_TIMEOUT', max: 'url.timeout', text: 'the fetch took too long' },
  empty: { telegram: 'URL_EMPTY', max: 'url.empty', text: 'the file is empty' },
} as const;
export type UrlFetchErrorCode = keyof typeof URL_FETCH_ERRORS;

export class UrlFetchError extends Error {
  constructor(readonly code: UrlFetchErrorCode, detail?: string) {
    super(`${URL_FETCH_ERRORS[code].text}${detail ? `: ${detail}` : ''}`);
  }
}

export interface UrlFetchOptions {
  /** The largest body taken (the gateway's upload limit). */
  maxBytes: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Let URLs reach loopback and private addresses (`--url-allow-private`; tests, or a bot fetching from its own LAN). */
  allowPrivate?: boolean;
  /** Which resolved addresses may be connected to; default: public ones (isPublicAddress), or any with allowPrivate. */
  allowed?: (address: string) => boolean;
}

/** Addresses that are not the public internet: this host, private networks, link-local, CGNAT, multicast, reserved, documentation. */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

/** R163: whether an IP address is on the public internet (an IPv4-mapped IPv6 address is judged as its IPv4 one). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !NOT_PUBLIC.check(mapped[1]!, 'ipv4');
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * R163: fetches an http(s) URL a bot gave instead of a file. The host is resolved, each address is
 * checked, and the connection goes to the checked address (the check is the socket's own lookup, so a
 * second resolution can't swap it); a redirect's target is checked the same way, at most `maxRedirects`;
 * the body stops at `maxBytes`; the whole fetch at `timeoutMs`. Resolves with the file (its name the
 * URL's last path segment, its type the Content-Type).
 */
export async function fetchUrl(raw: string, opts: UrlFetchOptions): Promise<File> {
  const allowed = opts.allowed ?? (opts.allowPrivate ? () => true : isPublicAddress);
  const maxRedirects = opts.maxRedirects ?? DEFAULT_URL_MAX_REDIRECTS;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_URL_TIMEOUT_MS);
  let url = parse(raw);
  for (let hop = 0; ; hop++) {
    const res = await get(url, allowed, signal);
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location) {
      res.resume();
      if (hop >= maxRedirects) throw new UrlFetchError('redirects', `more than ${maxRedirects}`);
      url = parse(new URL(location, url).href);
      continue;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new UrlFetchError('status', String(res.statusCode));
    }
    const bytes = await readCapped(res, opts.maxBytes, signal);
    if (bytes.length === 0) throw new UrlFetchError('empty');
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? '').replace(/[\\/\0]/g, '') || 'file';
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    return new File([bytes as Uint8Array<ArrayBuffer>], name.slice(0, 255), { type: /^[a-z]+\/[a-z0-9.+-]+$/.test(type) ? type : 'application/octet-stream' });
  }
}

function parse(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new UrlFetchError('invalid', `longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlFetchError('invalid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlFetchError('invalid', `scheme ${url.protocol}`);
  if (url.username || url.password) throw new UrlFetchError('invalid', 'credentials in the URL');
  return url;
}

/** One GET, connected only to an address `allowed` takes. */
function get(url: URL, allowed: (address: string) => boolean, signal: AbortSignal): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // An IP literal is connected to without a lookup: checked here.
  if (isIP(host) && !allowed(host)) return Promise.reject(new UrlFetchError('private', host));
  const lookup = (hostname: string, options: LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '', 0);
      const ok = addresses.filter((a) => allowed(a.address));
      if (ok.length === 0) return cb(new UrlFetchError('private', `${hostname} is ${addresses.map((a) => a.address).join(', ')}`) as unknown as NodeJS.ErrnoException, '', 0);
      if (options.all) cb(null, ok);
      else cb(null, ok[0]!.address, ok[0]!.family);
    });
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET', lookup: lookup as never, signal, agent: false, headers: { 'user-agent': 'parley-bot-gateway', accept: '*/*' },
    }, resolve);
    req.on('error', (err) => reject(mapError(err, signal)));
    req.end();
  });
}

function readCapped(res: IncomingMessage, max: number, signal: AbortSignal): Promise<Uint8Array> {
  if (Number(res.headers['content-length'] ?? 0) > max) {
    res.destroy();
    return Promise.reject(new UrlFetchError('tooLarge', `${res.headers['content-length']} bytes, at most ${max}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new UrlFetchError('tooLarge', `at most ${max} bytes`)); // first: destroying emits 'aborted'
        res.destroy();
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (err) => reject(mapError(err, signal)));
    res.on('aborted', () => reject(mapError(new Error('aborted'), signal)));
  });
}

function mapError(err: unknown, signal: AbortSignal): UrlFetchError {
  if (err instanceof UrlFetchError) return err;
  if (signal.aborted) return new UrlFetchError('timeout');
  return new UrlFetchError('unreachable', err instanceof Error ? err.message : String(err));
}
