import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { ParleyError } from '@parley/client';
import { API_PREFIX, ServerInfo } from '@parley/protocol';
import { Coturn, createUser, startTestServer } from '@parley/testing';
import { relayOnly } from './turn-probe.ts';

/**
 * R60 TURN credentials through the real server and a real coturn (Debian's package): only a chat's
 * members get them, they are time-limited and signed with the shared secret, and Chromium connects
 * two peers through the TURN server alone (relay-only ICE) with them, and with nothing else.
 */

const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

describe('R60 TURN credentials for calls', () => {
  it('a server without TURN says so: /info and calls_unavailable (503)', async () => {
    await using server = await startTestServer();
    const info = ServerInfo.parse(await (await fetch(`${server.url}${API_PREFIX}/info`)).json());
    assert.deepEqual(info.calls, { turn: false, sfu: false, ringMaxMembers: 32 });
    const alice = await createUser(server.url, { start: false });
    const { chatId } = await alice.client.createGroup({ name: 'Building', memberIds: [] });
    await assert.rejects(alice.client.turnCredentials(chatId), code('calls_unavailable'));
  });

  it('members get time-limited credentials that coturn accepts (relay-only peers connect); non-members, strangers without a session and forged or expired credentials get nothing', { timeout: 90_000 }, async () => {
    await using turn = await Coturn.start();
    await using server = await startTestServer({
      PARLEY_TURN_URLS: turn.urls.join(','), PARLEY_TURN_SECRET: turn.secret, PARLEY_TURN_TTL_MS: String(3_600_000), PARLEY_RATE_TURN_PER_HOUR: '4',
    });
    const info = ServerInfo.parse(await (await fetch(`${server.url}${API_PREFIX}/info`)).json());
    assert.deepEqual(info.calls, { turn: true, sfu: false, ringMaxMembers: 32 });
    const alice = await createUser(server.url, { start: false, displayName: 'Alice' });
    const mallory = await createUser(server.url, { start: false, displayName: 'Mallory' });
    const { chatId } = await alice.client.createGroup({ name: 'Entrance 2', memberIds: [] });

    // Authorization: a non-member, a malformed body, no session.
    await assert.rejects(mallory.client.turnCredentials(chatId), code('not_member'));
    const noSession = await fetch(`${server.url}${API_PREFIX}/calls/turn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId }) });
    assert.equal(noSession.status, 401);
    assert.equal(((await noSession.json()) as { error: { code: string } }).error.code, 'auth_required');
    const token = await alice.client['tokens'].get(false);
    const malformed = await fetch(`${server.url}${API_PREFIX}/calls/turn`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ chatId, userId: 'x' }) });
    assert.equal(malformed.status, 400);

    const before = Date.now();
    const creds = await alice.client.turnCredentials(chatId);
    const [server0] = creds.iceServers;
    assert.ok(server0);
    assert.deepEqual(server0.urls, turn.urls);
    // The TURN REST API scheme: expiry:opaque, HMAC-SHA1 of it under the shared secret; the opaque part names no user.
    const [expiry, opaque] = server0.username.split(':');
    assert.ok(Math.abs(Number(expiry) * 1000 - (before + 3_600_000)) < 60_000, `expiry ${expiry}`);
    assert.equal(creds.expiresAt, Number(expiry) * 1000);
    assert.ok(opaque && !opaque.includes(alice.userId) && !opaque.includes(alice.deviceId));
    assert.equal(server0.credential, createHmac('sha1', turn.secret).update(server0.username).digest('base64'));
    const again = await alice.client.turnCredentials(chatId);
    assert.notEqual(again.iceServers[0]!.username, server0.username, 'a fresh opaque part each time');

    if (!existsSync('/usr/bin/chromium')) execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}${API_PREFIX}/info`); // any page of a secure context (localhost)

      // With the server's credentials: relay candidates over UDP and TCP, and the peers talk through the relay.
      const ok = await relayOnly(page, creds.iceServers);
      assert.equal(ok.message, 'hello through the relay');
      assert.ok(ok.candidates.length > 0 && ok.candidates.every((c) => / typ relay /.test(c)), ok.candidates.join('\n'));
      assert.ok(ok.relayProtocols.some((p) => p.startsWith('relay/')), ok.relayProtocols.join(','));

      // A forged credential (another secret) and an expired one (the right secret): coturn refuses both.
      const forged = [{ ...server0, credential: createHmac('sha1', 'not-the-secret-xxxxxxxx').update(server0.username).digest('base64') }];
      const expiredName = `${Math.floor(Date.now() / 1000) - 60}:x`;
      const expired = [{ urls: server0.urls, username: expiredName, credential: createHmac('sha1', turn.secret).update(expiredName).digest('base64') }];
      for (const [what, servers] of [['forged', forged], ['expired', expired]] as const) {
        const r = await relayOnly(page, servers);
        assert.equal(r.candidates.length, 0, `${what}: ${r.candidates.join('\n')}`);
        assert.equal(r.message, '(nothing arrived)', what);
      }
    } finally {
      await browser.close();
    }

    // PARLEY_RATE_TURN_PER_HOUR (4 here): the device's fifth ask within the hour waits.
    await alice.client.turnCredentials(chatId);
    await alice.client.turnCredentials(chatId);
    await assert.rejects(alice.client.turnCredentials(chatId), code('rate_limited'));
  });
});
