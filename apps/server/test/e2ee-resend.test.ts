import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Content } from '@parley/protocol';
import { MlsCodec, RESEND_ANSWER_LIMIT, randomId, type ClientOptions, type ParleyClient, type StoredMessage } from '@parley/client';
import { tamperMessage, addDevice, createUser, newClient, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/** R32 through the real server: asking for an unreadable message again, and who may answer. */

const manual: Pick<ClientOptions, 'mls'> = { mls: { enabled: true, resendAskAfterMs: null } };
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);
const show = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system)
  .map((i) => (i.unreadable ? `unreadable:${i.unreadableReason}` : `${i.text}${i.resent ? ' (re-sent)' : ''}`));

/**
 * A modified client of `device` (stopped) posts whatever it likes, encrypted in the chat's group
 * from the device's own state: what a malicious member can send.
 */
async function forge(server: TestServer, device: TestUser, chatId: string, content: Content): Promise<number> {
  const keys = device.client.keyPackages;
  assert.ok(keys);
  const envelope = await new MlsCodec({ userId: device.userId, deviceId: device.deviceId, store: device.store, keys }).encode(chatId, content);
  const peer = await RawPeer.authed(server.url, device.deviceId, (d) => device.deviceKey.sign(d));
  try {
    const ack = await peer.request({ type: 'send', rid: randomId(), chatId, clientMsgId: randomId(), envelope });
    assert.equal(ack['type'], 'ack', JSON.stringify(ack));
    return ack['seq'] as number;
  } finally {
    peer.close();
  }
}

/** What `client`'s own device sent again in the chat (its own messages are stored decoded). */
function resentBy(client: ParleyClient, chatId: string, afterSeq = 0): { seq: number; id: string }[] {
  return client.log(chatId).flatMap((m) => {
    const d = (m as StoredMessage).decoded;
    return m.seq > afterSeq && m.senderDeviceId === client.deviceId && d?.kind === 'content' && d.content.kind === 'resent' ? [{ seq: d.content.seq, id: d.content.id }] : [];
  });
}

const seqOf = (client: ParleyClient, chatId: string, text: string) => client.timeline(chatId).find((i) => i.text === text)?.seq ?? 0;

describe('end-to-end encryption: asking for a message again (R32)', () => {
  it('R32 a message that failed its check is asked for, sent again by its sender\'s device and shown at its place, marked re-sent; a device also asks by itself', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url, { client: manual })));
    if (!alice || !bob) throw new Error('users');
    clients.push(alice.client, bob.client);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(chatId, 'one');
    await waitFor(() => texts(bob.client, chatId).includes('one'), { what: 'bob reads one', timeoutMs: 30_000 });

    // Bob is offline; the server alters the message in between.
    await bob.client.stop();
    await alice.client.sendText(chatId, 'the code for the gate is 2468');
    await alice.client.sendText(chatId, 'after it');
    await waitFor(() => alice.client.outbox().length === 0, { what: 'acked' });
    const altered = alice.client.timeline(chatId).find((i) => i.text === 'the code for the gate is 2468');
    assert.ok(altered?.seq);
    tamperMessage(server.dataDir, chatId, altered.seq);

    const back = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, manual);
    clients.push(back);
    await back.start();
    await waitFor(() => texts(back, chatId).includes('after it'), { what: 'bob caught up' });
    assert.deepEqual(show(back, chatId), ['one', 'unreadable:tampered', 'after it']);
    const item = back.timeline(chatId).find((i) => i.id === altered.id);
    assert.equal(item?.resendable, true, 'a resend can help a message that failed its check');

    assert.deepEqual(await back.requestResend(chatId, [altered.id]), [altered.id]);
    assert.equal(back.timeline(chatId).find((i) => i.id === altered.id)?.resendRequested, true);
    await waitFor(() => texts(back, chatId).includes('the code for the gate is 2468'), { what: 'the message sent again', timeoutMs: 20_000 });
    // In its own place, marked, and nothing else shows on either side.
    assert.deepEqual(show(back, chatId), ['one', 'the code for the gate is 2468 (re-sent)', 'after it']);
    assert.equal(back.timeline(chatId).find((i) => i.text === 'the code for the gate is 2468')?.seq, altered.seq);
    assert.deepEqual(show(alice.client, chatId), ['one', 'the code for the gate is 2468', 'after it']);
    assert.deepEqual(resentBy(alice.client, chatId), [{ seq: altered.seq, id: altered.id }]);
    assert.deepEqual(await back.requestResend(chatId, [altered.id]), [], 'nothing left to ask for');
    // What was filled is stored: a restart shows it too.
    await back.stop();
    const again = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, manual);
    clients.push(again);
    await again.start();
    assert.deepEqual(show(again, chatId), ['one', 'the code for the gate is 2468 (re-sent)', 'after it']);
    await again.stop();

    // With `resendAskAfterMs`, the device asks by itself.
    await alice.client.sendText(chatId, 'second secret: the blue door');
    await waitFor(() => alice.client.outbox().length === 0, { what: 'acked' });
    tamperMessage(server.dataDir, chatId, seqOf(alice.client, chatId, 'second secret: the blue door'));
    const auto = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, { mls: { enabled: true, resendAskAfterMs: 300 } });
    clients.push(auto);
    await auto.start();
    await waitFor(() => texts(auto, chatId).includes('second secret: the blue door'), { what: 'asked by itself and filled', timeoutMs: 20_000 });
    assert.equal(auto.timeline(chatId).find((i) => i.text === 'second secret: the blue door')?.resent, true);
  });

  it('R32 an answer from another device or user than the original\'s sender is not used', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url, { client: manual })));
    if (!alice || !bob || !carol) throw new Error('users');
    const alice2 = await addDevice(alice, { client: manual });
    clients.push(alice.client, alice2.client, bob.client, carol.client);
    const { chatId } = await alice.client.createGroup({ name: 'who may answer', memberIds: [bob.userId, carol.userId] });
    await waitFor(() => [alice, alice2, bob, carol].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });

    await bob.client.stop();
    await alice.client.sendText(chatId, 'the real words');
    await waitFor(() => alice.client.outbox().length === 0, { what: 'acked' });
    const original = alice.client.timeline(chatId).find((i) => i.text === 'the real words');
    assert.ok(original?.seq);
    tamperMessage(server.dataDir, chatId, original.seq);

    // Alice's other device and Carol (both in the group when it was sent) answer for Alice's first device.
    await Promise.all([alice2.client.stop(), carol.client.stop()]);
    const forged = { kind: 'resent', seq: original.seq, id: original.id, content: { kind: 'text', text: 'forged words' } } as const;
    await forge(server, alice2, chatId, forged);
    const lastForged = await forge(server, carol, chatId, forged);

    const back = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, manual);
    clients.push(back);
    await back.start();
    await waitFor(() => back.log(chatId).some((m) => m.seq === lastForged), { what: 'bob caught up' });
    assert.ok(!texts(back, chatId).includes('forged words'));
    assert.equal(back.timeline(chatId).find((i) => i.id === original.id)?.unreadableReason, 'tampered', 'still unreadable');

    // The original's own sender device answers; that one fills it.
    await back.requestResend(chatId, [original.id]);
    await waitFor(() => texts(back, chatId).includes('the real words'), { what: 'the real answer', timeoutMs: 20_000 });
    assert.ok(!texts(back, chatId).includes('forged words'));
    assert.equal(back.timeline(chatId).find((i) => i.id === original.id)?.text, 'the real words');
  });

  it('R32 a new member asking for messages from before it joined gets nothing, nor does anyone while the answer would reach it', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url, { client: manual })));
    if (!alice || !bob || !carol) throw new Error('users');
    clients.push(alice.client, bob.client, carol.client);
    const { chatId } = await alice.client.createGroup({ name: 'before carol', memberIds: [bob.userId] });
    await waitFor(() => [alice, bob].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'said before carol joined');
    await waitFor(() => texts(bob.client, chatId).includes('said before carol joined'), { what: 'bob reads' });
    const before = alice.client.timeline(chatId).find((i) => i.text === 'said before carol joined');
    assert.ok(before);

    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    while (carol.client.hasOlder(chatId) && !carol.client.log(chatId).some((m) => m.clientMsgId === before.id)) await carol.client.loadOlder(chatId);
    const hers = carol.client.timeline(chatId).find((i) => i.id === before.id);
    assert.equal(hers?.unreadableReason, 'before_join');
    assert.ok(!hers?.resendable);
    assert.deepEqual(await carol.client.requestResend(chatId, [before.id]), [], 'the SDK does not ask for what was sent before it joined');

    // A client that lies about why it can't read it asks anyway: Alice's device sends nothing.
    const lie = (client: ParleyClient) => {
      const m = client.log(chatId).find((x) => x.clientMsgId === before.id) as StoredMessage | undefined;
      assert.ok(m);
      m.decoded = { kind: 'unreadable', reason: 'tampered' };
    };
    lie(carol.client);
    assert.deepEqual(await carol.client.requestResend(chatId, [before.id]), [before.id]);
    // And Bob, who was there, can't get it while the answer would reach Carol too.
    lie(bob.client);
    assert.deepEqual(await bob.client.requestResend(chatId, [before.id]), [before.id]);
    await waitFor(() => carol.client.outbox().length === 0 && bob.client.outbox().length === 0, { what: 'requests sent' });
    const lastRequest = Math.max(...[carol.client, bob.client].map((c) => c.log(chatId).filter((m) => m.senderDeviceId === c.deviceId).at(-1)?.seq ?? 0));
    await waitFor(() => (alice.client.log(chatId).at(-1)?.seq ?? 0) >= lastRequest, { what: 'alice read the requests' });
    // Alice's outbox is sent in order: had she queued an answer, it would come before this.
    await alice.client.sendText(chatId, 'marker');
    await waitFor(() => texts(carol.client, chatId).includes('marker') && texts(bob.client, chatId).includes('marker'), { what: 'marker' });
    assert.deepEqual(resentBy(alice.client, chatId), []);
    assert.ok(!texts(carol.client, chatId).includes('said before carol joined'));
    assert.equal(carol.client.timeline(chatId).find((i) => i.id === before.id)?.unreadable, true);
  });

  it('R32 a flood of requests is limited: once per asking device and message, at most RESEND_ANSWER_LIMIT.burst per chat', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url, { client: manual })));
    if (!alice || !bob) throw new Error('users');
    clients.push(alice.client, bob.client);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const count = RESEND_ANSWER_LIMIT.burst + 10;
    for (let i = 0; i < count; i++) await alice.client.sendText(chatId, `note ${i}`);
    await waitFor(() => texts(bob.client, chatId).length === count, { what: 'bob reads all', timeoutMs: 60_000 });
    const ids = alice.client.timeline(chatId).filter((i) => i.text.startsWith('note ')).map((i) => i.id);

    // Bob's client, modified, asks for five of them again and again, then for all of them again and again.
    await bob.client.stop();
    let lastRequest = 0;
    for (let round = 0; round < 4; round++) lastRequest = await forge(server, bob, chatId, { kind: 'resend_request', ids: ids.slice(0, 5) });
    await waitFor(() => (alice.client.log(chatId).at(-1)?.seq ?? 0) >= lastRequest, { what: 'alice read the first requests' });
    await alice.client.sendText(chatId, 'marker 1');
    await waitFor(() => alice.client.outbox().length === 0, { what: 'marker acked', timeoutMs: 30_000 });
    assert.deepEqual(resentBy(alice.client, chatId).map((a) => a.id), ids.slice(0, 5), 'each message once for one asking device');

    for (let round = 0; round < 4; round++) lastRequest = await forge(server, bob, chatId, { kind: 'resend_request', ids });
    await waitFor(() => (alice.client.log(chatId).at(-1)?.seq ?? 0) >= lastRequest, { what: 'alice read the requests' });
    await alice.client.sendText(chatId, 'marker 2');
    await waitFor(() => alice.client.outbox().length === 0, { what: 'marker acked', timeoutMs: 30_000 });
    const answered = resentBy(alice.client, chatId);
    assert.equal(new Set(answered.map((a) => a.id)).size, answered.length, 'still once each');
    // The limit refills one message every RESEND_ANSWER_LIMIT.refillMs: well under one while this runs.
    assert.equal(answered.length, RESEND_ANSWER_LIMIT.burst, 'the per-chat limit');
  });

  it('R32 with R29 a device that lost its group state reads, after it is added again, what was sent while it was out', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !bob) throw new Error('users');
    clients.push(alice.client);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(chatId, 'first');
    await waitFor(() => texts(bob.client, chatId).includes('first'), { what: 'bob reads', timeoutMs: 30_000 });
    await bob.client.stop();
    await bob.store.deleteMlsGroup(chatId);
    const restarted = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, { mls: { enabled: true, resendAskAfterMs: 300 } });
    clients.push(restarted);
    await restarted.start();
    await waitFor(() => restarted.chat(chatId)?.encryption === 'waiting', { what: 'bob waits' });
    await alice.client.sendText(chatId, 'while you were out');
    await waitFor(() => show(restarted, chatId).includes('unreadable:not_in_group'), { what: 'bob could not read it' });
    // R29 adds him again; his request, queued meanwhile, goes out then, and Alice's device answers.
    await waitFor(() => texts(restarted, chatId).includes('while you were out'), { what: 'filled after the re-add', timeoutMs: 60_000 });
    // What Alice's device said meanwhile to devices only (R33 key-log heads) is sent again too, and leaves no line.
    const want = ['first', 'while you were out (re-sent)'];
    await waitFor(() => JSON.stringify(show(restarted, chatId)) === JSON.stringify(want), { what: 'no unreadable line left', timeoutMs: 30_000 }).catch(() => undefined);
    assert.deepEqual(show(restarted, chatId), want);
  });
});
