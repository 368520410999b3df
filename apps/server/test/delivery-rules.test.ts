import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accounts, RestApi } from '@parley/client';
import { CLOSE_CODES } from '@parley/protocol';
import { createUser, newClient, startTestServer, waitFor } from '@parley/testing';
import { RawPeer } from './raw.ts';

const envelope = (text: string) => ({ contentType: 'parley/plain+json', payload: Buffer.from(JSON.stringify({ kind: 'text', text })).toString('base64') });

describe('delivery rules (docs/PROTOCOL.md)', () => {
  it('R1 a duplicate client message id is accepted once and acked with the original seq', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const peer = await RawPeer.authed(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    const first = await peer.request({ type: 'send', rid: 'a', chatId, clientMsgId: 'same_id_0001', envelope: envelope('once') });
    const second = await peer.request({ type: 'send', rid: 'b', chatId, clientMsgId: 'same_id_0001', envelope: envelope('once') });
    assert.equal(first['type'], 'ack');
    assert.equal(second['seq'], first['seq']);
    assert.deepEqual([first['duplicate'], second['duplicate']], [false, true]);
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'once'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bob.client.timeline(chatId).filter((i) => i.text === 'once').length, 1);
    peer.close();
    await alice.client.stop();
    await bob.client.stop();
  });

  it('R4 a client that was offline resumes from its last seq and fills the gap in order', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    await bob.client.sendText(chatId, 'before');
    await waitFor(() => alice.client.timeline(chatId).some((i) => i.text === 'before'));
    await alice.client.stop();
    for (let i = 0; i < 120; i++) await bob.client.sendText(chatId, `while away ${i}`);
    await waitFor(() => bob.client.outbox().length === 0, { timeoutMs: 20_000 });
    const back = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store);
    await back.start();
    await waitFor(() => back.log(chatId).length === bob.client.log(chatId).length, { what: 'caught up', timeoutMs: 20_000 });
    assert.deepEqual(back.log(chatId).map((m) => m.clientMsgId), bob.client.log(chatId).map((m) => m.clientMsgId));
    await back.stop();
    await bob.client.stop();
  });

  it('R6 messages typed offline stay in the outbox and go out in order when back online', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => alice.client.chat(chatId) !== undefined);
    await alice.client.stop();
    const offline = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store);
    // Not started: loads nothing from the network. Start it only after queuing messages.
    await alice.store.putOutbox({ chatId, clientMsgId: 'offline_msg_1', envelope: envelope('typed offline 1'), createdAt: Date.now(), attempts: 0 });
    await alice.store.putOutbox({ chatId, clientMsgId: 'offline_msg_2', envelope: envelope('typed offline 2'), createdAt: Date.now() + 1, attempts: 0 });
    await offline.start();
    assert.deepEqual(offline.timeline(chatId).filter((i) => i.state === 'sending').map((i) => i.text), ['typed offline 1', 'typed offline 2']);
    await waitFor(() => bob.client.timeline(chatId).filter((i) => i.text.startsWith('typed offline')).length === 2, { what: 'delivered' });
    assert.deepEqual(bob.client.timeline(chatId).filter((i) => !i.system).map((i) => i.text), ['typed offline 1', 'typed offline 2']);
    // The server's ack may reach Alice a moment after Bob has the messages: the outbox empties then.
    await waitFor(async () => (await alice.store.listOutbox()).length === 0, { what: 'the outbox empty once acknowledged' });
    await offline.stop();
    await bob.client.stop();
  });

  it('R9 a slow consumer is disconnected after a bounded buffer, then resyncs with nothing lost', async () => {
    await using server = await startTestServer({
      PARLEY_WS_BUFFER_BYTES: '65536', // What can't be split must fit it (R40).
      PARLEY_MAX_COMMIT_BYTES: '32768', PARLEY_MAX_ENVELOPE_BYTES: '32768', PARLEY_MAX_GROUP_MEMBERS: '50',
    });
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const peer = await RawPeer.authed(server.url, bob.deviceId, (d) => bob.deviceKey.sign(d));
    // Stop reading from the socket: the server's buffer for this peer fills.
    (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // More than the kernel's socket buffers hold, so the server's own buffer must grow.
    const big = 'x'.repeat(15_000); // under the text limit (16,000), its envelope under the 32 KiB limit above
    for (let i = 0; i < 400; i++) await alice.client.sendText(chatId, `${i} ${big}`);
    await waitFor(() => alice.client.outbox().length === 0, { timeoutMs: 30_000 });
    (peer.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => peer.closeCode !== undefined, { what: 'slow consumer closed', timeoutMs: 10_000 });
    // The server sends close 4008 behind megabytes of queued frames and cuts the socket 2 s later if the
    // handshake has not finished; a peer too slow to drain its queue in time sees 1006 instead.
    assert.ok([CLOSE_CODES.slow_consumer, 1006].includes(peer.closeCode ?? 0), `close code ${peer.closeCode}`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /parley_disconnects_total\{[^}]*reason="slow consumer"[^}]*\} [1-9]/);
    await waitFor(() => bob.client.log(chatId).length === alice.client.log(chatId).length, { what: 'bob client synced', timeoutMs: 20_000 });
    await alice.client.stop();
    await bob.client.stop();
  });

  it('R9 a history page fits a connection\'s buffer: a device that was away during a burst of full-size messages catches up (found by fuzzing)', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    // Plaintext, so bob's device reads the whole log (an MLS device starts at its Welcome).
    const bob = await createUser(server.url, { start: false, client: { mls: { enabled: false } } });
    await using _stop = { [Symbol.asyncDispose]: () => bob.client.stop() };
    const { token } = await accounts.login(server.url, alice.deviceId, alice.deviceKey);
    const { chat: { chatId } } = await new RestApi(server.url, token).call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: bob.userId });
    const peer = await RawPeer.authed(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    // 40 messages at the envelope limit: 2.6 MB, more than the 1 MiB a connection may have unsent.
    const payload = Buffer.alloc(((server.config.limits.maxEnvelopeBytes - 64) * 3) / 4, 7).toString('base64');
    for (let i = 0; i < 40; i++) {
      const ack = await peer.request({ type: 'send', rid: `s${i}`, chatId, clientMsgId: `full_size_${i}`, envelope: { contentType: 'application/octet-stream', payload } });
      assert.equal(ack['type'], 'ack');
    }
    // A page of 100 (the SDK's page size) comes back shorter, with hasMore, instead of a 4008 close.
    const page = await peer.request({ type: 'history', rid: 'h', chatId, afterSeq: 0, limit: 100 });
    assert.equal(page['type'], 'history');
    const messages = page['messages'] as unknown[];
    assert.ok(messages.length > 0 && messages.length < 41 && page['hasMore'] === true, `${messages.length} messages, hasMore ${String(page['hasMore'])}`);
    assert.ok(JSON.stringify(page).length <= server.config.limits.wsBufferBytes);
    assert.equal(peer.closeCode, undefined);
    const older = await peer.request({ type: 'history', rid: 'h2', chatId, beforeSeq: 42, limit: 100 });
    assert.equal((older['messages'] as { seq: number }[]).at(-1)?.seq, 41, 'a page before an anchor keeps the messages next to it');
    await bob.client.start();
    // Bob's device shows the newest page, then pages back to the chat's start.
    await waitFor(() => bob.client.log(chatId).at(-1)?.seq === 41, { what: 'bob has the newest page', timeoutMs: 20_000 });
    for (let i = 0; i < 41 && bob.client.hasOlder(chatId); i++) await bob.client.loadOlder(chatId);
    assert.deepEqual(bob.client.log(chatId).map((m) => m.seq), Array.from({ length: 41 }, (_, i) => i + 1));
    peer.close();
  });

  it('R7 oversized messages are refused with payload_too_large; the outbox marks them failed', async () => {
    // Room for the chat's first commit (its Welcome and GroupInfo: ~3 KB of base64), not for these messages.
    await using server = await startTestServer({ PARLEY_MAX_ENVELOPE_BYTES: '6000' });
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const id = await alice.client.sendText(chatId, 'y'.repeat(5000));
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === id)?.state === 'failed', { what: 'failed' });
    assert.equal(alice.client.outbox().find((o) => o.clientMsgId === id)?.failedCode, 'payload_too_large');
    // Over the frame limit too (envelope + 4 KB): the server reads no further, but answers the request's rid.
    const huge = await alice.client.sendText(chatId, 'z'.repeat(9000));
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === huge)?.state === 'failed', { what: 'the oversized frame failed' });
    await alice.client.sendText(chatId, 'small is fine');
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'small is fine'));
    await alice.client.stop();
    await bob.client.stop();
  });

  it('R11 sends are rate-limited per device with a retry hint', async () => {
    await using server = await startTestServer({ PARLEY_RATE_SEND_PER_SEC: '1', PARLEY_RATE_SEND_BURST: '3' });
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const peer = await RawPeer.authed(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    // Sent together (answered in order on one connection), so a slow machine does not refill the bucket between them.
    const replies = await Promise.all([0, 1, 2, 3, 4].map((i) => peer.request({ type: 'send', rid: `r${i}`, chatId, clientMsgId: `rate_msg_${i}xx`, envelope: envelope(`m${i}`) })));
    assert.deepEqual(replies.map((r) => r['type']), ['ack', 'ack', 'ack', 'error', 'error']);
    assert.equal(replies[3]?.['code'], 'rate_limited');
    assert.ok(Number(replies[3]?.['retryAfter']) >= 1);
    peer.close();
    await alice.client.stop();
    await bob.client.stop();
  });
});
