import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_PREFIX, type DeviceLinkStarted, type DeviceLinkState, type PendingDeviceLink } from '@parley/protocol';
import { DeviceLinkEnded, accounts, generateDeviceKey, requestDeviceLink } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestServer } from '@parley/testing';

/**
 * Sign-in (device link) requests from strangers (docs/PROTOCOL.md R43), through the real server. The
 * server believes X-Forwarded-For from 127.0.0.1 (PARLEY_TRUST_PROXY), so each request here comes
 * "from" the address the test names, as through a reverse proxy; the SDK's own requests come from
 * 127.0.0.1 itself, another source.
 */

const BAIT = "alice's new iPhone (tap Approve)";

async function linkFrom(server: TestServer, ip: string, handle: string, name = BAIT): Promise<{ status: number; body: DeviceLinkStarted & { error?: { code: string; retryAfter?: number } } }> {
  const { publicKey } = await generateDeviceKey();
  const res = await fetch(`${server.url}${API_PREFIX}/devices/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ handle, device: { name, publicKey } }),
  });
  return { status: res.status, body: (await res.json()) as DeviceLinkStarted & { error?: { code: string } } };
}

async function poll(server: TestServer, linkId: string): Promise<DeviceLinkState> {
  return (await (await fetch(`${server.url}${API_PREFIX}/devices/link/${linkId}`)).json()) as DeviceLinkState;
}

describe('sign-in request flooding (R43)', () => {
  it('R43 a stranger\'s requests never lock the owner out: one source holds one slot, and at full slots the owner\'s request displaces the oldest and is approved', async () => {
    await using server = await startTestServer({ PARLEY_TRUST_PROXY: '127.0.0.1' });
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const closed: { linkId: string; status: string }[] = [];
    alice.client.on('deviceLinkClosed', (c) => closed.push(c));

    // The attack as reported: three requests for her handle from one address, no session.
    const flood: Awaited<ReturnType<typeof linkFrom>>[] = [];
    for (let i = 0; i < 3; i++) flood.push(await linkFrom(server, '198.51.100.7', alice.handle));
    assert.deepEqual(flood.map((r) => r.status), [201, 201, 201]);
    // One source, one slot: each replaced the one before.
    assert.deepEqual((await alice.client.pendingDeviceLinks()).map((p) => p.linkId), [flood[2]?.body.linkId]);
    assert.equal((await poll(server, flood[0]?.body.linkId ?? '')).status, 'displaced');

    // With three addresses the attacker fills the slots...
    const more = [await linkFrom(server, '198.51.100.8', alice.handle), await linkFrom(server, '198.51.100.9', alice.handle)];
    assert.deepEqual(more.map((r) => r.status), [201, 201]);
    assert.equal((await alice.client.pendingDeviceLinks()).length, 3);

    // ...and Alice's own new device still gets through: no 429, and the oldest waiting request goes.
    const key = await generateDeviceKey();
    const own = await requestDeviceLink(server.url, alice.handle, 'Firefox on Linux', key);
    const pending = await alice.client.pendingDeviceLinks();
    assert.deepEqual(pending.map((p) => p.linkId), [more[0]?.body.linkId, more[1]?.body.linkId, own.linkId]);
    assert.equal((await poll(server, flood[2]?.body.linkId ?? '')).status, 'displaced');
    await waitFor(() => closed.some((c) => c.linkId === flood[2]?.body.linkId && c.status === 'displaced'), { what: 'the displaced prompt is withdrawn' });
    // A displaced request can no longer be answered, even with its code.
    await assert.rejects(alice.client.approveDeviceLink(flood[2]?.body.linkId ?? '', flood[2]?.body.code ?? ''), (e: unknown) => (e as { code?: string }).code === 'link_closed');

    const signedIn = own.wait({ intervalMs: 50 });
    await alice.client.approveDeviceLink(own.linkId, own.code);
    const { deviceId } = await signedIn;
    assert.equal((await accounts.login(server.url, deviceId, key)).userId, alice.userId);
    await alice.client.stop();
  });

  it('R43 the new device whose request was displaced is told so', async () => {
    await using server = await startTestServer({ PARLEY_TRUST_PROXY: '127.0.0.1', PARLEY_DEVICE_LINK_MAX_PENDING: '1' });
    const alice = await createUser(server.url, { start: false });
    const own = await requestDeviceLink(server.url, alice.handle, 'Firefox on Linux', await generateDeviceKey());
    const waiting = own.wait({ intervalMs: 50 });
    assert.equal((await linkFrom(server, '198.51.100.7', alice.handle)).status, 201);
    await assert.rejects(waiting, (e: unknown) => e instanceof DeviceLinkEnded && e.outcome === 'displaced' && e.code === 'link_closed');
  });

  it('R43 limits without a session: per source for one account, per source for all accounts; another source and an IPv6 /64 as one source', async () => {
    await using server = await startTestServer({
      PARLEY_TRUST_PROXY: '127.0.0.1', PARLEY_RATE_DEVICE_LINK_PER_ACCOUNT_PER_HOUR: '2', PARLEY_RATE_DEVICE_LINK_PER_HOUR: '4',
    });
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url, { start: false })));
    if (!alice || !bob || !carol) throw new Error('users');
    const codes = async (ip: string, handle: string, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const r = await linkFrom(server, ip, handle);
        out.push(r.status === 201 ? 201 : r.body.error?.code);
      }
      return out;
    };
    // One source: two requests to Alice, then refused for Alice; it may still ask for Bob until its
    // hourly budget over all accounts (4) is spent.
    assert.deepEqual(await codes('198.51.100.7', alice.handle, 3), [201, 201, 'rate_limited']);
    assert.deepEqual(await codes('198.51.100.7', bob.handle, 2), [201, 'rate_limited']);
    assert.deepEqual(await codes('198.51.100.7', carol.handle, 1), ['rate_limited']);
    const refused = await linkFrom(server, '198.51.100.7', carol.handle);
    assert.ok((refused.body.error?.retryAfter ?? 0) >= 1, 'a refusal says when to try again');
    // Another source is not affected.
    assert.deepEqual(await codes('203.0.113.20', alice.handle, 2), [201, 201]);
    // Addresses of one IPv6 /64 are one source; another /64 is another.
    assert.deepEqual(await codes('2001:db8:5:7::1', alice.handle, 1), [201]);
    assert.deepEqual(await codes('2001:db8:5:7:ffff::2', alice.handle, 2), [201, 'rate_limited']);
    assert.deepEqual(await codes('2001:db8:5:8::1', alice.handle, 1), [201]);
  });

  it('R43 without PARLEY_TRUST_PROXY a forwarded-for header is not believed: a stranger cannot pose as many sources', async () => {
    await using server = await startTestServer({ PARLEY_RATE_DEVICE_LINK_PER_ACCOUNT_PER_HOUR: '2' });
    const alice = await createUser(server.url, { start: false });
    const statuses = [];
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) statuses.push((await linkFrom(server, ip, alice.handle)).status);
    assert.deepEqual(statuses, [201, 201, 429]);
  });

  it('R43 the prompt shows what the server knows first and the name only as the new device\'s claim; no origin unless the operator allows, and then a prefix', async () => {
    const prompt = async (env: Record<string, string>, ip: string): Promise<PendingDeviceLink> => {
      await using server = await startTestServer({ PARLEY_TRUST_PROXY: '127.0.0.1', ...env });
      const alice = await createUser(server.url, { start: false });
      const before = Date.now();
      await linkFrom(server, ip, alice.handle);
      const { token } = await accounts.login(server.url, alice.deviceId, alice.deviceKey);
      const res = await fetch(`${server.url}${API_PREFIX}/devices/link/pending`, { headers: { authorization: `Bearer ${token}` } });
      const [link] = ((await res.json()) as { links: PendingDeviceLink[] }).links;
      assert.ok(link);
      assert.ok(link.requestedAt >= before && link.requestedAt <= Date.now(), 'the server\'s time of the request');
      assert.equal(link.deviceName, BAIT, 'the claimed name, as sent (the client quotes it)');
      return link;
    };
    assert.equal((await prompt({}, '203.0.113.77')).origin, undefined, 'no origin by default');
    assert.equal((await prompt({ PARLEY_LINK_ORIGIN_HINT: 'ip-prefix' }, '203.0.113.77')).origin, '203.0.113.x');
    assert.equal((await prompt({ PARLEY_LINK_ORIGIN_HINT: 'ip-prefix' }, '2001:db8:5:7::1')).origin, '2001:db8:5::/48');
    assert.equal((await prompt({ PARLEY_LINK_ORIGIN_HINT: 'ip' }, '203.0.113.77')).origin, '203.0.113.77');
  });
});
