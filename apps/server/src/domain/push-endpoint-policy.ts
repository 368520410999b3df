import ipaddr from 'ipaddr.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host name to every address it has (A and AAAA). The real one is `node:dns` (main.ts);
 * tests map names to local addresses. Rejects when the name does not resolve.
 */
export interface HostResolver {
  resolve(hostname: string): Promise<ResolvedAddress[]>;
}

/** Where a push may go: the URL, and the addresses checked for its host, which the sender must connect to. */
export interface PushTarget {
  url: URL;
  /** The host name as in the URL (no brackets around IPv6), for TLS (SNI, certificate) and the Host header. */
  hostname: string;
  port: number;
  /** Every address the host resolved to, each one public (or operator-allowed): connect to these only. */
  addresses: readonly ResolvedAddress[];
}

/**
 * Why an endpoint was refused: `forbidden` (not https, a host off the allow-list, an address that is
 * not public) holds until the endpoint changes; `unresolved` (no answer from DNS in time) may pass later.
 */
export type PushTargetCheck = { ok: true; target: PushTarget } | { ok: false; reason: 'forbidden' | 'unresolved'; detail: string };

export interface PushEndpointPolicyOptions {
  resolver: HostResolver;
  /**
   * Host names pushes may go to: exact names, or `*.example.com` for its subdomains. Empty: any
   * host whose addresses are all public.
   */
  allowedHosts: readonly string[];
  /**
   * DANGEROUS. Networks (CIDR) whose addresses are allowed although they are not public: a push
   * service on the operator's own network, or a test's local one. Empty by default.
   */
  allowPrivateNetworks: readonly string[];
  /** How long a DNS answer may take. */
  resolveTimeoutMs?: number;
}

/**
 * R37: the server sends Web Push only to https URLs of public hosts. Every address the host
 * resolves to must be public unicast (no loopback, private, carrier-grade NAT, link-local, unique
 * local, multicast, unspecified, reserved, documentation, or IPv6 forms that carry an IPv4 address
 * somewhere else: IPv4-mapped ones are judged by their IPv4 address, NAT64, 6to4 and Teredo are
 * refused). The check runs when a device subscribes and again before every push, whose connection
 * then goes to one of the addresses this check saw (PushTarget), so DNS that changes in between
 * can't point a push at the server's own network.
 */
export class PushEndpointPolicy {
  readonly #resolver: HostResolver;
  readonly #allowedHosts: readonly string[];
  readonly #allowedNets: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  readonly #resolveTimeoutMs: number;

  constructor(opts: PushEndpointPolicyOptions) {
    this.#resolver = opts.resolver;
    this.#allowedHosts = opts.allowedHosts.map((h) => h.toLowerCase().replace(/\.$/, ''));
    this.#allowedNets = opts.allowPrivateNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
    this.#resolveTimeoutMs = opts.resolveTimeoutMs ?? 5_000;
  }

  async check(endpoint: string): Promise<PushTargetCheck> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return { ok: false, reason: 'forbidden', detail: 'not a URL' };
    }
    if (url.protocol !== 'https:') return { ok: false, reason: 'forbidden', detail: 'not https' };
    if (url.username || url.password) return { ok: false, reason: 'forbidden', detail: 'credentials in the URL' };
    // WHATWG URL has already turned 0x7f.1, 2130706433 and friends into dotted IPv4.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
    const port = url.port === '' ? 443 : Number(url.port);
    if (!this.#hostAllowed(hostname)) return { ok: false, reason: 'forbidden', detail: `host ${hostname} is not on the allow-list` };

    let addresses: ResolvedAddress[];
    if (ipaddr.IPv4.isValidFourPartDecimal(hostname) || ipaddr.IPv6.isValid(hostname)) {
      addresses = [{ address: hostname, family: ipaddr.parse(hostname).kind() === 'ipv4' ? 4 : 6 }];
    } else {
      try {
        addresses = await withTimeout(this.#resolver.resolve(hostname), this.#resolveTimeoutMs);
      } catch (err) {
        return { ok: false, reason: 'unresolved', detail: `${hostname} did not resolve: ${err instanceof Error ? err.message : String(err)}` };
      }
      if (addresses.length === 0) return { ok: false, reason: 'unresolved', detail: `${hostname} has no address` };
    }
    for (const { address } of addresses) {
      if (!this.addressAllowed(address)) return { ok: false, reason: 'forbidden', detail: `${hostname} resolves to ${address}, not a public address` };
    }
    return { ok: true, target: { url, hostname, port, addresses } };
  }

  /** Public unicast, or inside a network the operator allowed. */
  addressAllowed(address: string): boolean {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.parse(address);
    } catch {
      return false; // zone ids (fe80::1%eth0) and anything else unparsable
    }
    if (this.#allowedNets.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return true;
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) return this.addressAllowed((ip as ipaddr.IPv6).toIPv4Address().toString());
    return isPublicUnicast(ip);
  }

  #hostAllowed(hostname: string): boolean {
    if (this.#allowedHosts.length === 0) return true;
    return this.#allowedHosts.some((allowed) => allowed.startsWith('*.')
      ? hostname.endsWith(allowed.slice(1))
      : hostname === allowed);
  }
}

/**
 * ipaddr.js names every special-purpose range (IANA registries): only plain `unicast` is a public
 * host. That leaves out loopback, private, carrierGradeNat (100.64/10), linkLocal (169.254/16,
 * fe80::/10), uniqueLocal (fc00::/7), multicast, broadcast, unspecified (0.0.0.0, ::), reserved
 * (documentation, benchmarking, 240/4…), and rfc6052 / 6to4 / teredo, which embed an IPv4 address a
 * gateway would forward to.
 */
export function isPublicUnicast(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (ip.range() !== 'unicast') return false;
  // 0.0.0.0/8 is "this network" (unspecified only names 0.0.0.0 itself in some versions).
  if (ip.kind() === 'ipv4' && (ip as ipaddr.IPv4).octets[0] === 0) return false;
  return true;
}

/** Parses an operator's list of CIDRs; throws naming the bad one. */
export function parseNetworks(list: readonly string[]): string[] {
  for (const cidr of list) {
    if (!ipaddr.isValidCIDR(cidr)) throw new Error(`not a network (CIDR, e.g. 10.1.2.0/24): ${cidr}`);
  }
  return [...list];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}
