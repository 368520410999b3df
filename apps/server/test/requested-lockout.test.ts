import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, RestApi } from '@parley/client';
import { addDevice, createUser, newClient, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { accountsLogin } from './raw-login.ts';

/**
 * R44 + R40: a group's open requests (ChatSummary.requested, every person asked who has not
 * answered) go to every member in one frame with the chat's summary. Unbounded, a group owner with
 * sock accounts grew one summary past the send buffer and every member's sign-in was closed 4008,
 * forever (audit of issue 17, gap 1). Now people asked hold seats: members and people asked are
 * together at most PARLEY_MAX_GROUP_MEMBERS (`group_full`), and a summary lists no more than the
 * seats left even when older data holds more.
 */

const plain = { client: { mls: { enabled: false } } };
/** The scaled-down buffer of stranger-lockout.test.ts: 48 KiB stands in for 1 MiB. */
const SMALL = {
  PARLEY_CONSENT_REQUIRED: 'true', PARLEY_WS_BUFFER_BYTES: String(48 * 1024), PARLEY_MAX_ENVELOPE_BYTES: '8192',
  PARLEY_MAX_COMMIT_BYTES: '16384', PARLEY_MAX_GROUP_MEMBERS: '20', PARLEY_RATE_API_PER_SEC: '10000',
};
const LONG_NAME = 'W'.repeat(64);

async function restApi(server: TestServer, u: TestUser): Promise<RestApi> {
  return new RestApi(server.url, await accountsLogin(server.url, u.deviceId, (d) => u.deviceKey.sign(d)));
}

/** A raw sign-in of `u`: its auth_ok, and the close code if the server closed the connection within half a second. */
async function rawSignIn(server: TestServer, u: TestUser): Promise<{ authOk: Record<string, unknown>; closeCode: number | undefined }> {
  const peer = await RawPeer.open(server.url);
  peer.send({ type: 'auth', v: 1, token: await accountsLogin(server.url, u.deviceId, (d) => u.deviceKey.sign(d)) });
  const authOk = await peer.next((f) => f['type'] === 'auth_ok');
  await new Promise((r) => setTimeout(r, 500));
  const { closeCode } = peer;
  peer.close();
  return { authOk, closeCode };
}

function chatIn(authOk: Record<string, unknown>, chatId: string): { members: unknown[]; requested?: { userId: string }[] } {
  const chat = (authOk['chats'] as { chatId: string }[]).find((c) => c.chatId === chatId);
  assert.ok(chat, 'the group is on the first page');
  return chat as unknown as { members: unknown[]; requested?: { userId: string }[] };
}

/** Signs the user in again on this device and on a new one; both read the group's log to its end. */
async function bothDevicesSync(server: TestServer, u: TestUser, chatId: string): Promise<void> {
  const restarted = newClient(server.url, u.userId, u.deviceId, u.deviceKey, u.store, undefined, plain.client);
  await restarted.start();
  const second = await addDevice(u, plain);
  try {
    for (const client of [restarted, second.client]) {
      await waitFor(() => {
        const chat = client.chat(chatId);
        return client.chatListComplete && chat !== undefined && (client.log(chatId).at(-1)?.seq ?? 0) >= chat.lastSeq;
      }, { what: 'the list complete and the group caught up', timeoutMs: 30_000 });
      assert.equal(client.connectionState, 'online');
    }
  } finally {
    await restarted.stop();
    await second.client.stop();
  }
}

describe('R44 R40 the people asked into a group cannot lock its members out', () => {
  it('an owner asking 300 sock accounts with long names gets group_full at the member limit; every member signs in and syncs on two devices', { timeout: 120_000 }, async () => {
    await using server = await startTestServer(SMALL);
    const vera = await createUser(server.url, { displayName: 'Vera', start: false, ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false, ...plain });
    const [va, ma] = [await restApi(server, vera), await restApi(server, mallory)];
    await va.call('POST', '/chats/direct', { userId: mallory.userId });
    await ma.call('POST', '/chats/direct', { userId: vera.userId }); // they share a chat: Mallory adds Vera directly
    const { chat } = await ma.call<{ chat: { chatId: string; members: unknown[] } }>('POST', '/chats', { name: 'g', memberIds: [vera.userId] });
    assert.equal(chat.members.length, 2);

    let asked = 0;
    let refused = 0;
    for (let i = 0; i < 300 && refused < 3; i++) {
      const sock = await createUser(server.url, { displayName: LONG_NAME, start: false, ...plain });
      try {
        await ma.call('POST', `/chats/${chat.chatId}/members`, { userId: sock.userId });
        asked++;
      } catch (err) {
        assert.ok(err instanceof ParleyError && err.code === 'group_full', String(err));
        refused++;
      }
    }
    assert.equal(asked, 18, 'two members and 18 people asked fill the 20 seats');
    assert.equal(refused, 3, 'every ask past them is group_full');

    // Vera's sign-in: auth_ok with the group and its 18 people asked, within the buffer, and no close.
    const { authOk, closeCode } = await rawSignIn(server, vera);
    assert.equal(closeCode, undefined, 'the connection stays open');
    assert.equal(chatIn(authOk, chat.chatId).requested?.length, 18, 'who was asked is still shown');
    assert.ok(JSON.stringify(authOk).length <= server.config.limits.wsBufferBytes / 2);
    await bothDevicesSync(server, vera, chat.chatId);
  });

  it('a summary lists no more people asked than the seats left, even when the database holds 300 (made before this bound)', { timeout: 120_000 }, async () => {
    await using server = await startTestServer(SMALL);
    const vera = await createUser(server.url, { displayName: 'Vera', start: false, ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false, ...plain });
    const ma = await restApi(server, mallory);
    await (await restApi(server, vera)).call('POST', '/chats/direct', { userId: mallory.userId });
    await ma.call('POST', '/chats/direct', { userId: vera.userId });
    const { chat } = await ma.call<{ chat: { chatId: string } }>('POST', '/chats', { name: 'g', memberIds: [vera.userId] });
    // 300 open requests written straight to storage, as an older server without the bound let them pile up.
    const socks: string[] = [];
    for (let i = 0; i < 300; i++) socks.push((await createUser(server.url, { displayName: LONG_NAME, start: false, ...plain })).userId);
    const now = Date.now();
    await server.services.storage.addChatRequests(socks.map((toUserId, i) => ({
      requestId: `legacy${i.toString().padStart(6, '0')}`, chatId: chat.chatId, fromUserId: mallory.userId, toUserId, createdAt: now - 300 + i,
    })));

    const { authOk, closeCode } = await rawSignIn(server, vera);
    assert.equal(closeCode, undefined, 'the connection stays open');
    const summary = chatIn(authOk, chat.chatId);
    assert.deepEqual(summary.requested?.map((r) => r.userId), socks.slice(0, 18), 'the 18 oldest, one per seat left');
    assert.ok(JSON.stringify(authOk).length <= server.config.limits.wsBufferBytes / 2);
    // Nobody more gets in while the seats are held.
    await assert.rejects(ma.call('POST', `/chats/${chat.chatId}/members`, { userId: (await createUser(server.url, { start: false, ...plain })).userId }),
      (e: unknown) => e instanceof ParleyError && e.code === 'group_full');
    await bothDevicesSync(server, vera, chat.chatId);
  });
});
