import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { WS_PATH, type ServerFrame } from '@parley/protocol';
import { createUser, newClient, startTestServer, uniqueHandle, waitFor } from '@parley/testing';
import { accounts } from './accounts.ts';
import { generateDeviceKey } from './device-key.ts';
import {
  DeviceLinkEnded, approveDeviceLink, denyDeviceLink, devicesAddedSince, pendingDeviceLinks, requestDeviceLink, sessionRest,
} from './device-link.ts';

/** Device linking and login alerts against a real server, through the SDK (docs/PROTOCOL.md R23-R28). */

/** The frames one signed-in device receives, for the events ParleyClient does not surface yet. */
async function listen(baseUrl: string, deviceId: string, key: Parameters<typeof accounts.login>[2]) {
  const { token } = await accounts.login(baseUrl, deviceId, key);
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + WS_PATH);
  const frames: ServerFrame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as ServerFrame));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'auth', v: 1, token }));
  await waitFor(() => frames.some((f) => f.type === 'auth_ok'), { what: 'auth_ok' });
  return {
    frames,
    of: <T extends ServerFrame['type']>(type: T) => frames.filter((f): f is Extract<ServerFrame, { type: T }> => f.type === type),
    close: () => ws.close(),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: string }).code, code, String(err));
    return true;
  });
}

describe('device linking', () => {
  test('R24-R27 through ParleyClient: the request and the alert arrive as events, and the client approves', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const requests: string[] = [];
    const added: string[] = [];
    alice.client.on('deviceLinkRequest', (link) => requests.push(link.deviceName));
    alice.client.on('deviceAdded', (device) => added.push(device.name));
    const link = await requestDeviceLink(server.url, alice.handle, 'kitchen tablet', await generateDeviceKey());
    await waitFor(() => requests.length === 1, { what: 'the request event' });
    assert.deepEqual(requests, ['kitchen tablet']);
    assert.deepEqual((await alice.client.pendingDeviceLinks()).map((p) => p.linkId), [link.linkId]);
    const device = await alice.client.approveDeviceLink(link.linkId, link.code);
    assert.equal(device.name, 'kitchen tablet');
    await waitFor(() => added.length === 1, { what: 'the login alert event' });
    assert.deepEqual(added, ['kitchen tablet']);
    await alice.client.stop();
  });

  test('R24 R25 approved with the code: the new device signs in with its own key and sees the chats; the other devices are told (R26, R27)', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url);
    const chat = await alice.client.createGroup({ name: 'Plans', memberIds: [bob.userId] });
    const watcher = await listen(server.url, alice.deviceId, alice.deviceKey);
    const rest = sessionRest(server.url, alice.deviceId, alice.deviceKey);

    const key = await generateDeviceKey();
    const link = await requestDeviceLink(server.url, alice.handle, 'new laptop', key);
    assert.match(link.code, /^\d{6}$/);
    const pending = await pendingDeviceLinks(rest);
    assert.deepEqual(pending.map((p) => [p.linkId, p.deviceName, p.attemptsLeft]), [[link.linkId, 'new laptop', 5]]);
    assert.ok(!JSON.stringify(pending).includes(link.code), 'the approving side never gets the code');
    await waitFor(() => watcher.of('device_link_request').length === 1, { what: 'device_link_request' });
    assert.equal(watcher.of('device_link_request')[0]?.link.linkId, link.linkId);

    const waiting = link.wait({ intervalMs: 50 });
    const added = await approveDeviceLink(rest, link.linkId, `${link.code.slice(0, 3)} ${link.code.slice(3)}`);
    assert.equal(added.name, 'new laptop');
    const result = await waiting;
    assert.deepEqual(result, { userId: alice.userId, deviceId: added.deviceId });

    await waitFor(() => watcher.of('device_added').length === 1 && watcher.of('device_link_closed').length === 1, { what: 'alerts' });
    assert.deepEqual(watcher.of('device_added')[0]?.device, added);
    assert.deepEqual(watcher.of('device_link_closed')[0], { type: 'device_link_closed', linkId: link.linkId, status: 'approved' });
    assert.deepEqual(await pendingDeviceLinks(rest), []);

    const session = await accounts.login(server.url, result.deviceId, key);
    assert.equal(session.userId, alice.userId);
    const linked = newClient(server.url, result.userId, result.deviceId, key);
    await linked.start();
    await waitFor(() => linked.chats().some((c) => c.chatId === chat.chatId), { what: 'the linked device sees the chat' });

    const me = await alice.client.me();
    const fresh = devicesAddedSince(me, added.createdAt - 1);
    assert.deepEqual(fresh.map((d) => [d.deviceId, d.name, d.createdAt]), [[added.deviceId, 'new laptop', added.createdAt]]);

    watcher.close();
    await Promise.all([linked.stop(), alice.client.stop(), bob.client.stop()]);
  });

  test('R24 denied: the new device is told and no device is added; a second answer is refused', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const rest = sessionRest(server.url, alice.deviceId, alice.deviceKey);
    const link = await requestDeviceLink(server.url, alice.handle, 'stranger', await generateDeviceKey());
    const waiting = link.wait({ intervalMs: 50 });
    await denyDeviceLink(rest, link.linkId);
    await assert.rejects(waiting, (err: unknown) => err instanceof DeviceLinkEnded && err.outcome === 'denied' && err.code === 'link_closed');
    await rejectsWith(approveDeviceLink(rest, link.linkId, link.code), 'link_closed');
    await rejectsWith(denyDeviceLink(rest, link.linkId), 'link_closed');
    const { devices } = await rest<{ devices: unknown[] }>('GET', '/me');
    assert.equal(devices.length, 1);
  });

  test('R24 a second approval is refused and adds nothing', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const rest = sessionRest(server.url, alice.deviceId, alice.deviceKey);
    const link = await requestDeviceLink(server.url, alice.handle, 'phone', await generateDeviceKey());
    const [first, second] = await Promise.allSettled([approveDeviceLink(rest, link.linkId, link.code), approveDeviceLink(rest, link.linkId, link.code)]);
    assert.deepEqual([first.status, second.status].sort(), ['fulfilled', 'rejected']);
    const refused = [first, second].find((r) => r.status === 'rejected');
    assert.equal((refused?.reason as { code?: string }).code, 'link_closed');
    await rejectsWith(approveDeviceLink(rest, link.linkId, link.code), 'link_closed');
    const { devices } = await rest<{ devices: unknown[] }>('GET', '/me');
    assert.equal(devices.length, 2);
  });

  test('R24 a wrong code is refused with the tries left; the last wrong try locks the request', async () => {
    await using server = await startTestServer({ PARLEY_DEVICE_LINK_MAX_ATTEMPTS: '3' });
    const alice = await createUser(server.url, { start: false });
    const rest = sessionRest(server.url, alice.deviceId, alice.deviceKey);
    const link = await requestDeviceLink(server.url, alice.handle, 'phone', await generateDeviceKey());
    const wrong = link.code === '000000' ? '000001' : '000000';
    await rejectsWith(approveDeviceLink(rest, link.linkId, wrong), 'link_code_wrong');
    assert.equal((await pendingDeviceLinks(rest))[0]?.attemptsLeft, 2);
    await rejectsWith(approveDeviceLink(rest, link.linkId, 'nonsense'), 'link_code_wrong');
    await rejectsWith(approveDeviceLink(rest, link.linkId, wrong), 'link_locked');
    await rejectsWith(approveDeviceLink(rest, link.linkId, link.code), 'link_locked');
    await assert.rejects(link.wait({ intervalMs: 50 }), (err: unknown) => err instanceof DeviceLinkEnded && err.outcome === 'locked');
    assert.deepEqual(await pendingDeviceLinks(rest), []);
  });

  test('R23 an unanswered request expires: the new device is told and approval is refused', async () => {
    await using server = await startTestServer({ PARLEY_DEVICE_LINK_TTL_MS: '400' });
    const alice = await createUser(server.url, { start: false });
    const rest = sessionRest(server.url, alice.deviceId, alice.deviceKey);
    const link = await requestDeviceLink(server.url, alice.handle, 'phone', await generateDeviceKey());
    assert.ok(link.expiresAt - Date.now() <= 400);
    await assert.rejects(link.wait({ intervalMs: 50 }), (err: unknown) => err instanceof DeviceLinkEnded && err.outcome === 'expired' && err.code === 'link_expired');
    await rejectsWith(approveDeviceLink(rest, link.linkId, link.code), 'link_expired');
    await rejectsWith(denyDeviceLink(rest, link.linkId), 'link_expired');
    assert.deepEqual(await pendingDeviceLinks(rest), []);
  });

  test('R23 R26 limits: unknown handle, another account\'s link, a new request from the same place, requests per IP', async () => {
    await using server = await startTestServer({ PARLEY_DEVICE_LINK_MAX_PENDING: '2', PARLEY_RATE_DEVICE_LINK_PER_HOUR: '4' });
    const alice = await createUser(server.url, { start: false });
    const mallory = await createUser(server.url, { start: false });
    const malloryRest = sessionRest(server.url, mallory.deviceId, mallory.deviceKey);
    const key = await generateDeviceKey();
    await rejectsWith(requestDeviceLink(server.url, uniqueHandle('nobody'), 'phone', key), 'user_not_found');
    const link = await requestDeviceLink(server.url, alice.handle, 'phone', key);
    await rejectsWith(approveDeviceLink(malloryRest, link.linkId, link.code), 'link_not_found');
    await rejectsWith(denyDeviceLink(malloryRest, link.linkId), 'link_not_found');
    assert.deepEqual(await pendingDeviceLinks(malloryRest), []);
    await requestDeviceLink(server.url, alice.handle, 'phone 2', key);
    // R43: a request is never refused for full slots; from the same source it replaces that source's earlier one.
    const third = await requestDeviceLink(server.url, alice.handle, 'phone 3', key);
    assert.deepEqual((await pendingDeviceLinks(sessionRest(server.url, alice.deviceId, alice.deviceKey))).map((p) => p.linkId), [third.linkId]);
    await rejectsWith(requestDeviceLink(server.url, mallory.handle, 'phone', key), 'rate_limited');
    const res = await fetch(`${server.url}/api/v1/devices/link/link_nope_123`);
    assert.deepEqual([res.status, ((await res.json()) as { error: { code: string } }).error.code], [404, 'link_not_found']);
    const bad = await fetch(`${server.url}/api/v1/devices/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"handle":"x"}' });
    assert.equal(bad.status, 400);
    const unauth = await fetch(`${server.url}/api/v1/devices/link/pending`);
    assert.equal(unauth.status, 401);
  });
});

describe('login alerts', () => {
  test('R27 R28 a device added with the recovery code (no approval needed) is announced to the account\'s other devices, not to itself', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const watcher = await listen(server.url, alice.deviceId, alice.deviceKey);
    const key = await generateDeviceKey();
    const recovered = await accounts.recover(server.url, { handle: alice.handle, recoveryCode: alice.recoveryCode, device: { name: 'spare phone', publicKey: key.publicKey } });
    await waitFor(() => watcher.of('device_added').length === 1, { what: 'device_added' });
    assert.equal(watcher.of('device_added')[0]?.device.deviceId, recovered.deviceId);
    assert.equal(watcher.of('device_added')[0]?.device.name, 'spare phone');

    // The new device's own connection hears of later devices, but not of itself.
    const own = await listen(server.url, recovered.deviceId, key);
    const third = await accounts.recover(server.url, { handle: alice.handle, recoveryCode: recovered.recoveryCode, device: { name: 'tablet', publicKey: (await generateDeviceKey()).publicKey } });
    await waitFor(() => own.of('device_added').length === 1 && watcher.of('device_added').length === 2, { what: 'second alert' });
    assert.equal(own.of('device_added')[0]?.device.deviceId, third.deviceId);
    watcher.close();
    own.close();
  });
});
