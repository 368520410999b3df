import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../domain/push-endpoint-policy.ts';

/**
 * The system's resolver (getaddrinfo: /etc/hosts, then DNS), as an HTTP client would use it, with
 * every address of the name (R37 checks them all).
 */
export const systemResolver: HostResolver = {
  async resolve(hostname) {
    const found = await lookup(hostname, { all: true, verbatim: true });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  },
};
