import { isIPv4, isIPv6 } from 'node:net';

/**
 * Where a request without a session comes from, for limits and for what a person is shown (R43).
 * One person on IPv6 usually holds a whole /64, so a source is an IPv4 address or an IPv6 /64: an
 * attacker rotating addresses inside its own /64 stays one source.
 */

/** What the account's devices are told of where a sign-in request came from (PARLEY_LINK_ORIGIN_HINT). */
export type OriginHint = 'none' | 'ip-prefix' | 'ip';

/** The limiting key of a client address: `a.b.c.d` for IPv4 (also IPv4-mapped IPv6), the /64 `x:x:x:x::/64` for IPv6. */
export function sourceOf(ip: string): string {
  const v4 = ipv4Of(ip);
  if (v4) return v4;
  const groups = ipv6Groups(ip);
  if (!groups) return ip; // not an address (a unix socket, a test double): itself
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/**
 * What a person is shown of `ip`: nothing (`none`), its network (`ip-prefix`: `203.0.113.x` for
 * IPv4, the /48 `2001:db8:5::/48` for IPv6, about a site) or the address itself (`ip`).
 */
export function originHint(ip: string, mode: OriginHint): string | undefined {
  if (mode === 'none') return undefined;
  const v4 = ipv4Of(ip);
  const groups = v4 ? undefined : ipv6Groups(ip);
  if (mode === 'ip') return v4 ?? (groups ? ip.replace(/%.*$/, '').toLowerCase() : undefined);
  if (v4) return `${v4.split('.').slice(0, 3).join('.')}.x`;
  if (groups) return `${groups.slice(0, 3).map((g) => g.replace(/^0+(?=[0-9a-f])/, '')).join(':')}::/48`;
  return undefined;
}

function ipv4Of(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return mapped && isIPv4(mapped) ? mapped : undefined;
}

/** The eight groups of an IPv6 address, 4 lower-case hex digits each; undefined if it is not one. */
function ipv6Groups(ip: string): string[] | undefined {
  const bare = ip.replace(/%.*$/, ''); // zone id
  if (!isIPv6(bare)) return undefined;
  let text = bare.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  return groups.length === 8 ? groups.map((g) => g.padStart(4, '0')) : undefined;
}
