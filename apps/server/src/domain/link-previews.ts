import { ParleyError, type FetchedLinkPreview } from '@parley/protocol';
import { extractMeta, PREVIEW_TEXT_LIMITS } from './html-meta.ts';
import type { HostResolver, PushEndpointPolicy, ResolvedAddress } from './push-endpoint-policy.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Where a fetch goes: the URL, and the checked addresses its connection must use (never a second lookup). */
export interface FetchTarget {
  url: URL;
  hostname: string;
  port: number;
  addresses: readonly ResolvedAddress[];
}

export interface FetchedResponse {
  status: number;
  /** The Location header of a 3xx. */
  location?: string | undefined;
  /** The media type, lower case, without parameters. */
  mediaType: string;
  charset?: string | undefined;
  body: Buffer;
  /** The body was longer than `maxBytes`; `body` is its start. */
  truncated: boolean;
}

/** One GET, no cookies, no redirects followed, at most `maxBytes` read, given up at `signal`. */
export interface PageFetcher {
  get(target: FetchTarget, opts: { maxBytes: number; accept: string; signal: AbortSignal }): Promise<FetchedResponse>;
}

export interface LinkPreviewLimits {
  enabled: boolean;
  perMin: number;
  timeoutMs: number;
  maxPageBytes: number;
  maxImageBytes: number;
}

export interface LinkPreviewsDeps {
  fetcher: PageFetcher;
  resolver: HostResolver;
  /** Its address rule (public unicast, or a network the operator allowed for previews). */
  addresses: Pick<PushEndpointPolicy, 'addressAllowed'>;
  limiter: RateLimiter;
  limits: LinkPreviewLimits;
}

/** Redirects followed, each to a URL checked like the first. */
export const PREVIEW_MAX_REDIRECTS = 3;
/** Previews being fetched at once on a node; more are told to wait a second. */
export const PREVIEW_MAX_CONCURRENT = 16;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** Why a preview was not made (its message stays on the server: the client gets one plain refusal). */
class Refused extends Error {}

/**
 * R45: the server's link preview fetcher, for clients that can't fetch a page themselves (a browser
 * can't read another origin's page). It fetches only http(s) URLs whose host's every address is
 * public (the same rule as R37's push endpoints; redirects checked the same way, at most
 * three), reads at most `maxPageBytes` of an HTML page and `maxImageBytes` of its image, gives up
 * after `timeoutMs` in all, and keeps no log of the URLs: what it was asked is not written anywhere.
 * Every refusal is the same `preview_unavailable` (no oracle of which internal names exist).
 */
export class LinkPreviews {
  readonly #d: LinkPreviewsDeps;
  #running = 0;

  constructor(deps: LinkPreviewsDeps) {
    this.#d = deps;
  }

  async preview(deviceId: string, rawUrl: string): Promise<FetchedLinkPreview> {
    const { limits } = this.#d;
    if (!limits.enabled) throw new ParleyError('link_previews_off', 'this server makes no link previews');
    await this.#d.limiter.take(`preview:${deviceId}`, limits.perMin / 60, limits.perMin);
    if (this.#running >= PREVIEW_MAX_CONCURRENT) throw new ParleyError('rate_limited', 'too many previews at once, try again', 1);
    this.#running++;
    const signal = AbortSignal.timeout(limits.timeoutMs);
    try {
      return await this.#make(rawUrl, signal);
    } catch (err) {
      if (err instanceof ParleyError) throw err;
      throw new ParleyError('preview_unavailable', 'no preview for this link');
    } finally {
      this.#running--;
    }
  }

  async #make(rawUrl: string, signal: AbortSignal): Promise<FetchedLinkPreview> {
    const url = parseUrl(rawUrl);
    const page = await this.#follow(url, { maxBytes: this.#d.limits.maxPageBytes, accept: 'text/html,application/xhtml+xml;q=0.9' }, signal);
    if (page.response.status !== 200) throw new Refused(`status ${page.response.status}`);
    if (!PAGE_TYPES.has(page.response.mediaType)) throw new Refused(`not a page: ${page.response.mediaType}`);
    const html = decode(page.response.body, page.response.charset);
    const meta = extractMeta(html, page.url);
    if (!meta.title && !meta.description) throw new Refused('the page has no title or description');
    const preview: FetchedLinkPreview = { url: url.href, ...(meta.title ? { title: meta.title } : {}), ...(meta.description ? { description: meta.description } : {}), ...(meta.siteName ? { siteName: meta.siteName } : {}) };
    if (meta.image) {
      try {
        const image = await this.#follow(parseUrl(meta.image), { maxBytes: this.#d.limits.maxImageBytes, accept: 'image/webp,image/png,image/jpeg,image/gif' }, signal);
        const { response } = image;
        if (response.status === 200 && IMAGE_TYPES.has(response.mediaType) && !response.truncated && response.body.length > 0) {
          preview.image = { mediaType: response.mediaType as NonNullable<FetchedLinkPreview['image']>['mediaType'], data: response.body.toString('base64') };
        }
      } catch {
        // A page without its image is still a preview.
      }
    }
    return preview;
  }

  /** GETs `url`, following at most PREVIEW_MAX_REDIRECTS redirects, each target checked before it is connected to. */
  async #follow(start: URL, opts: { maxBytes: number; accept: string }, signal: AbortSignal): Promise<{ url: URL; response: FetchedResponse }> {
    let url = start;
    for (let hop = 0; ; hop++) {
      const target = await this.#target(url, signal);
      const response = await this.#d.fetcher.get(target, { ...opts, signal });
      if (response.status < 300 || response.status > 399 || response.status === 304) return { url, response };
      if (hop >= PREVIEW_MAX_REDIRECTS) throw new Refused('too many redirects');
      if (!response.location) throw new Refused('a redirect without a location');
      url = parseUrl(new URL(response.location, url).href);
    }
  }

  async #target(url: URL, signal: AbortSignal): Promise<FetchTarget> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    let addresses: ResolvedAddress[];
    if (/^[0-9.]+$/.test(hostname) || hostname.includes(':')) {
      addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
    } else {
      addresses = await Promise.race([
        this.#d.resolver.resolve(hostname),
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Refused('timed out resolving')), { once: true })),
      ]);
      if (addresses.length === 0) throw new Refused(`${hostname} has no address`);
    }
    for (const { address } of addresses) {
      if (!this.#d.addresses.addressAllowed(address)) throw new Refused(`${hostname} resolves to ${address}, not a public address`);
    }
    return { url, hostname, port, addresses };
  }
}

/** http or https, no credentials, a sane length. (Any port: only public addresses are ever connected to.) */
function parseUrl(raw: string): URL {
  if (raw.length > PREVIEW_TEXT_LIMITS.url) throw new Refused('URL too long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Refused('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Refused(`scheme ${url.protocol}`);
  if (url.username || url.password) throw new Refused('credentials in the URL');
  url.hash = '';
  return url;
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
