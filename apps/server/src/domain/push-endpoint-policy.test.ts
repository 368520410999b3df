import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushEndpointPolicy, type HostResolver, type ResolvedAddress } from './push-endpoint-policy.ts';

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/** A resolver that knows a few names, like a test's /etc/hosts. */
function resolver(names: Record<string, ResolvedAddress[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async resolve(hostname) {
      calls.push(hostname);
      const found = names[hostname];
      if (!found) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      return found;
    },
  };
}

const names = {
  'push.example.com': [v4('93.184.216.34'), v6('2606:2800:220:1:248:1893:25c8:1946')],
  'internal.example.com': [v4('10.0.0.5')],
  'mixed.example.com': [v4('93.184.216.34'), v4('127.0.0.1')],
  'v6local.example.com': [v6('fd00::1')],
  'mapped.example.com': [v6('::ffff:169.254.169.254')],
  'localhost': [v4('127.0.0.1'), v6('::1')],
  'empty.example.com': [],
};

describe('R37 push endpoint policy', () => {
  it('R37 SSRF: private, loopback, link-local, CGNAT, unique-local, multicast, reserved and IPv4-in-IPv6 targets are refused; public ones pass', async () => {
    const policy = new PushEndpointPolicy({ resolver: resolver(names), allowedHosts: [], allowPrivateNetworks: [] });
    const refused = [
      'http://push.example.com/x', 'ftp://push.example.com/x', 'https://user:pw@push.example.com/x',
      'https://127.0.0.1/x', 'https://127.1.2.3:8443/internal/admin/action', 'https://0.0.0.0/', 'https://0.1.2.3/', 'https://10.0.0.1/', 'https://172.16.5.4/',
      'https://192.168.0.1/', 'https://100.64.0.1/', 'https://169.254.169.254/latest/meta-data/', 'https://224.0.0.1/',
      'https://255.255.255.255/', 'https://240.0.0.1/', 'https://192.0.2.10/', 'https://198.18.0.1/',
      // WHATWG URL spellings of 127.0.0.1
      'https://2130706433/', 'https://0x7f.0.0.1/', 'https://0177.0.0.1/', 'https://127.1/',
      'https://[::1]/', 'https://[::]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::ffff:10.0.0.1]/',
      'https://[fc00::1]/', 'https://[fd12:3456::1]/', 'https://[fe80::1]/', 'https://[ff02::1]/', 'https://[2001:db8::1]/',
      'https://[64:ff9b::7f00:1]/', 'https://[2002:7f00:1::]/', 'https://[2001::1]/', 'https://[fec0::1]/', 'https://[100::1]/',
      'https://internal.example.com/', 'https://mixed.example.com/', 'https://v6local.example.com/', 'https://mapped.example.com/', 'https://localhost/',
    ];
    for (const url of refused) {
      const result = await policy.check(url);
      assert.equal(result.ok, false, url);
      assert.equal(!result.ok && result.reason, 'forbidden', url);
    }
    for (const url of ['https://push.example.com/wp/abc', 'https://8.8.8.8/', 'https://[2606:4700::1111]:8443/x', 'https://[::ffff:8.8.8.8]/']) {
      assert.equal((await policy.check(url)).ok, true, url);
    }
    const ok = await policy.check('https://push.example.com/wp/abc');
    assert.ok(ok.ok);
    assert.deepEqual(ok.target.addresses, names['push.example.com'], 'every address is checked and kept for the connection');
    assert.equal(ok.target.port, 443);
    assert.equal(ok.target.hostname, 'push.example.com');
  });

  it('R37 a name that does not resolve is unresolved (may pass later), not forbidden', async () => {
    const policy = new PushEndpointPolicy({ resolver: resolver(names), allowedHosts: [], allowPrivateNetworks: [] });
    for (const url of ['https://nowhere.example.com/', 'https://empty.example.com/']) {
      const result = await policy.check(url);
      assert.equal(!result.ok && result.reason, 'unresolved', url);
    }
    const slow = new PushEndpointPolicy({ resolver: { resolve: () => new Promise(() => {}) }, allowedHosts: [], allowPrivateNetworks: [], resolveTimeoutMs: 50 });
    const result = await slow.check('https://push.example.com/');
    assert.equal(!result.ok && result.reason, 'unresolved');
  });

  it('R37 PARLEY_PUSH_ALLOWED_HOSTS: exact names and *.suffix only', async () => {
    const policy = new PushEndpointPolicy({
      resolver: resolver({ ...names, 'fcm.googleapis.com': [v4('142.250.0.1')], 'wns2-by3p.notify.windows.com': [v4('20.0.0.1')], 'evil-fcm.googleapis.com.attacker.net': [v4('1.2.3.4')], 'notify.windows.com': [v4('20.0.0.2')] }),
      allowedHosts: ['fcm.googleapis.com', '*.notify.windows.com'],
      allowPrivateNetworks: [],
    });
    assert.equal((await policy.check('https://fcm.googleapis.com/fcm/send/x')).ok, true);
    assert.equal((await policy.check('https://FCM.googleapis.com./fcm/send/x')).ok, true);
    assert.equal((await policy.check('https://wns2-by3p.notify.windows.com/w/?token=x')).ok, true);
    for (const url of ['https://push.example.com/', 'https://evil-fcm.googleapis.com.attacker.net/', 'https://notify.windows.com/', 'https://142.250.0.1/']) {
      assert.equal((await policy.check(url)).ok, false, url);
    }
  });

  it('R37 PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS lets exactly those networks through', async () => {
    const policy = new PushEndpointPolicy({ resolver: resolver({ 'push.lan': [v4('10.1.2.3')], 'other.lan': [v4('10.1.3.3')] }), allowedHosts: [], allowPrivateNetworks: ['10.1.2.0/24', 'fd00:1::/64'] });
    assert.equal((await policy.check('https://push.lan/x')).ok, true);
    assert.equal((await policy.check('https://[::ffff:10.1.2.9]/x')).ok, true);
    assert.equal((await policy.check('https://[fd00:1::5]/x')).ok, true);
    assert.equal((await policy.check('https://other.lan/x')).ok, false);
    assert.equal((await policy.check('https://127.0.0.1/x')).ok, false);
    assert.equal((await policy.check('http://push.lan/x')).ok, false, 'still https only');
  });
});
