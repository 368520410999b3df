import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ParleyError, type ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';

/** R44 consent through the real server and SDK: a stranger asks, the person answers. */

const ON = { PARLEY_CONSENT_REQUIRED: 'true' };
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable).map((i) => i.text);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ParleyError && e.code === code);
}

async function stop(...users: TestUser[]): Promise<void> {
  for (const u of users) await u.client.stop();
}

describe('R44 nobody is put into a chat by a stranger without their say', () => {
  it('finding 1: a stranger\'s 300 groups with the victim become at most PARLEY_MAX_PENDING_REQUESTS requests; the victim\'s chat list stays hers, she signs in and syncs', { timeout: 120_000 }, async () => {
    await using server = await startTestServer({ ...ON, PARLEY_MAX_PENDING_REQUESTS: '20', PARLEY_RATE_REQUESTS_PER_DAY: '1000' });
    const victim = await createUser(server.url, { displayName: 'Vera' });
    const friend = await createUser(server.url, { displayName: 'Fred' });
    const mallory = await createUser(server.url, { displayName: 'Mallory', client: { mls: { enabled: false } } });
    const { chatId: ours } = await victim.client.openDirect(friend.userId);
    await friend.client.openDirect(victim.userId); // he opens it too: they have a chat
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      try {
        await mallory.client.createGroup({ name: `spam ${i}`, memberIds: [victim.userId] });
      } catch (err) {
        assert.ok(err instanceof ParleyError && err.code === 'requests_full', String(err));
        refused++;
      }
    }
    assert.equal(refused, 280, 'past 20 open requests, the rest are refused with requests_full');
    await waitFor(() => victim.client.requests().length === 20, { what: 'the victim sees 20 requests', timeoutMs: 20_000 });
    assert.deepEqual(victim.client.chats().map((c) => c.chatId), [ours], 'none of the groups is in her chat list');
    assert.ok(victim.client.requests().every((r) => r.from.userId === mallory.userId && r.kind === 'group'));
    // She signs in again on this device and her chats sync; she talks with Fred as before.
    await victim.client.stop();
    const { newClient } = await import('@parley/testing');
    victim.client = newClient(server.url, victim.userId, victim.deviceId, victim.deviceKey, victim.store);
    await victim.client.start();
    await waitFor(() => victim.client.connectionState === 'online' && victim.client.requests().length === 20, { what: 'online again, requests listed' });
    await waitFor(() => friend.client.chat(ours)?.encryption === 'on' && victim.client.chat(ours)?.encryption === 'on', { what: 'their chat is encrypted', timeoutMs: 30_000 });
    await friend.client.sendText(ours, 'still there?');
    await waitFor(() => texts(victim.client, ours).includes('still there?'), { what: 'vera reads fred' });
    await stop(victim, friend, mallory);
  });

  it('accept makes the person a member who reads what follows; decline and block leave them out; report reaches the operator', { timeout: 120_000 }, async () => {
    await using server = await startTestServer(ON);
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const eve = await createUser(server.url, { displayName: 'Eve' });
    // Alice asks Bob (a stranger) into her group: he is asked, not added.
    const group = await alice.client.createGroup({ name: 'book club', memberIds: [bob.userId] });
    assert.deepEqual(group.members.map((m) => m.userId), [alice.userId]);
    assert.deepEqual(group.requested?.map((r) => r.userId), [bob.userId]);
    await waitFor(() => bob.client.requests().length === 1, { what: 'bob sees the request' });
    const request = bob.client.requests()[0]!;
    assert.deepEqual([request.kind, request.from.displayName, request.memberCount], ['group', 'Alice', 1]);
    assert.equal(bob.client.chat(group.chatId), undefined);
    await bob.client.acceptRequest(request.requestId);
    await waitFor(() => bob.client.chat(group.chatId)?.encryption === 'on', { what: 'bob is in the encrypted group', timeoutMs: 30_000 });
    await alice.client.sendText(group.chatId, 'chapter 3 for thursday');
    await waitFor(() => texts(bob.client, group.chatId).includes('chapter 3 for thursday'), { what: 'bob reads' });
    await waitFor(async () => (await alice.client.getChat(group.chatId)).requested === undefined, { what: 'no one is left asked' });

    // Now they share a chat: Alice adds Bob to another group directly.
    const second = await alice.client.createGroup({ name: 'book club 2', memberIds: [bob.userId] });
    assert.deepEqual(second.members.map((m) => m.userId).sort(), [alice.userId, bob.userId].sort());

    // Eve, a stranger to Bob: declined, then blocked; her later requests never reach him.
    const g1 = await eve.client.createGroup({ name: 'crypto riches', memberIds: [bob.userId] });
    await waitFor(() => bob.client.requests().some((r) => r.chatId === g1.chatId), { what: 'eve\'s first request' });
    await bob.client.declineRequest(bob.client.requests().find((r) => r.chatId === g1.chatId)!.requestId);
    await waitFor(async () => (await eve.client.getChat(g1.chatId)).requested === undefined, { what: 'eve sees no one asked' });
    assert.deepEqual((await eve.client.getChat(g1.chatId)).members.map((m) => m.userId), [eve.userId]);
    const g2 = await eve.client.createGroup({ name: 'crypto riches 2', memberIds: [bob.userId] });
    await waitFor(() => bob.client.requests().some((r) => r.chatId === g2.chatId), { what: 'eve\'s second request' });
    await bob.client.reportRequest(bob.client.requests().find((r) => r.chatId === g2.chatId)!.requestId, { reason: 'scam', note: 'promises money', block: true });
    const reports = await server.services.storage.listReports(0, 10);
    assert.deepEqual(reports.map((r) => [r.reporterUserId, r.reportedUserId, r.chatId, r.reason, r.note]), [[bob.userId, eve.userId, g2.chatId, 'scam', 'promises money']]);
    const operator = execFileSync(process.execPath, ['apps/server/bin/parley-admin.mjs', 'reports', '--data-dir', server.dataDir]).toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(operator.map((r) => [r['reporter'], r['reported'], r['reason']]), [[bob.userId, eve.userId, 'scam']], 'the operator reads it with parley-admin reports');
    const g3 = await eve.client.createGroup({ name: 'crypto riches 3', memberIds: [bob.userId] });
    await eve.client.openDirect(bob.userId);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await bob.client.refreshRequests()).map((r) => r.from.userId), [], 'nothing from eve reaches bob');
    assert.equal((await eve.client.getChat(g3.chatId)).requested?.length ?? 0, 0);
    await stop(alice, bob, eve);
  });

  it('R44 a block outweighs a shared chat: the blocked person\'s groups, adds and direct chat never reach the one who blocked them', { timeout: 60_000 }, async () => {
    await using server = await startTestServer(ON);
    const plain = { mls: { enabled: false } };
    const alice = await createUser(server.url, { displayName: 'Alice', client: plain });
    const bob = await createUser(server.url, { displayName: 'Bob', client: plain });
    const eve = await createUser(server.url, { displayName: 'Eve', client: plain });
    // Eve, a stranger, asks; Bob blocks her.
    const asked = await eve.client.createGroup({ name: 'crypto riches', memberIds: [bob.userId] });
    await waitFor(() => bob.client.requests().some((r) => r.chatId === asked.chatId), { what: 'eve\'s request' });
    await bob.client.blockRequest(bob.client.requests()[0]!.requestId);
    // Later both join Alice's neighbours group: Bob and Eve share a chat.
    const neighbours = await alice.client.createGroup({ name: 'neighbours', memberIds: [bob.userId, eve.userId] });
    for (const u of [bob, eve]) {
      await waitFor(() => u.client.requests().some((r) => r.chatId === neighbours.chatId), { what: 'asked into neighbours' });
      await u.client.acceptRequest(u.client.requests().find((r) => r.chatId === neighbours.chatId)!.requestId);
    }
    await waitFor(async () => (await alice.client.getChat(neighbours.chatId)).members.length === 3, { what: 'three neighbours' });

    // Eve tries every way in: a new group with Bob, an add to her group, a direct chat and a message in it.
    const g = await eve.client.createGroup({ name: 'just us', memberIds: [bob.userId] });
    const h = await eve.client.createGroup({ name: 'later', memberIds: [] });
    await eve.client.addMember(h.chatId, bob.userId);
    const direct = await eve.client.openDirect(bob.userId);
    await eve.client.sendText(direct.chatId, 'you cannot block me here');
    await new Promise((r) => setTimeout(r, 1000));
    for (const chatId of [g.chatId, h.chatId, direct.chatId]) {
      const summary = await eve.client.getChat(chatId);
      assert.deepEqual(summary.members.map((m) => m.userId), [eve.userId], 'Bob is not a member');
      assert.equal(summary.requested, undefined, 'and nobody is shown as asked, as for any request dropped by a block');
      assert.equal(bob.client.chat(chatId), undefined);
    }
    assert.deepEqual((await bob.client.refreshRequests()).map((r) => r.from.userId), [], 'no request from eve either');
    assert.deepEqual(bob.client.chats().map((c) => c.chatId), [neighbours.chatId]);
    // Alice, whom Bob did not block, still adds him directly.
    const picnic = await alice.client.createGroup({ name: 'picnic', memberIds: [bob.userId] });
    assert.deepEqual(picnic.members.map((m) => m.userId).sort(), [alice.userId, bob.userId].sort());
    await stop(alice, bob, eve);
  });

  it('R44 one co-member puts a person into chats directly at most PARLEY_RATE_DIRECT_ADDS_PER_DAY times; then they ask', { timeout: 60_000 }, async () => {
    await using server = await startTestServer({ ...ON, PARLEY_RATE_DIRECT_ADDS_PER_DAY: '3' });
    const plain = { mls: { enabled: false } };
    const vera = await createUser(server.url, { displayName: 'Vera', client: plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', client: plain });
    const fred = await createUser(server.url, { displayName: 'Fred', client: plain });
    const shared = await vera.client.openDirect(mallory.userId);
    await mallory.client.openDirect(vera.userId); // they share a chat
    await vera.client.openDirect(fred.userId);
    await fred.client.openDirect(vera.userId);
    const groups = [];
    for (let i = 0; i < 6; i++) groups.push(await mallory.client.createGroup({ name: `g${i}`, memberIds: [vera.userId] }));
    assert.deepEqual(groups.map((g) => g.members.length), [2, 2, 2, 1, 1, 1], 'three direct adds, then requests');
    assert.deepEqual(groups.slice(3).map((g) => g.requested?.map((r) => r.userId)), [[vera.userId], [vera.userId], [vera.userId]]);
    await waitFor(() => vera.client.requests().length === 3 && vera.client.chats().length === 5, { what: 'vera: 2 direct chats, 3 groups, 3 requests' });
    assert.ok(vera.client.chats().some((c) => c.chatId === shared.chatId));
    // The bound is Mallory's, for Vera: Fred still adds her directly.
    assert.equal((await fred.client.createGroup({ name: 'fred\'s', memberIds: [vera.userId] })).members.length, 2);
    await stop(vera, mallory, fred);
  });

  it('a stranger\'s direct chat: their first message waits until it is accepted, then the person reads it', { timeout: 120_000 }, async () => {
    await using server = await startTestServer(ON);
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const dan = await createUser(server.url, { displayName: 'Dan' });
    const chat = await carol.client.openDirect(dan.userId);
    assert.deepEqual(chat.members.map((m) => m.userId), [carol.userId]);
    const id = await carol.client.sendText(chat.chatId, 'hi Dan, this is Carol from the 3rd floor');
    await waitFor(() => dan.client.requests().some((r) => r.kind === 'direct' && r.from.userId === carol.userId), { what: 'dan sees the request' });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(carol.client.timeline(chat.chatId).find((i) => i.id === id)?.state, 'sending', 'it waits for Dan');
    await dan.client.acceptRequest(dan.client.requests()[0]!.requestId);
    await waitFor(() => texts(dan.client, chat.chatId).includes('hi Dan, this is Carol from the 3rd floor'), { what: 'dan reads the first message', timeoutMs: 30_000 });
    await dan.client.sendText(chat.chatId, 'hello Carol');
    await waitFor(() => texts(carol.client, chat.chatId).includes('hello Carol'), { what: 'carol reads the answer' });
    await stop(carol, dan);
  });

  it('opening the direct chat oneself is consent too; a person is in at most PARLEY_MAX_CHATS_PER_USER chats', { timeout: 60_000 }, async () => {
    await using server = await startTestServer({ ...ON, PARLEY_MAX_CHATS_PER_USER: '2' });
    const plain = { mls: { enabled: false } };
    const erin = await createUser(server.url, { displayName: 'Erin', client: plain });
    const finn = await createUser(server.url, { displayName: 'Finn', client: plain });
    const gus = await createUser(server.url, { displayName: 'Gus', client: plain });
    const asked = await erin.client.openDirect(finn.userId);
    await waitFor(() => finn.client.requests().length === 1, { what: 'finn is asked' });
    const opened = await finn.client.openDirect(erin.userId);
    assert.equal(opened.chatId, asked.chatId);
    assert.deepEqual(opened.members.map((m) => m.userId).sort(), [erin.userId, finn.userId].sort());
    await waitFor(() => finn.client.requests().length === 0, { what: 'the request is answered' });
    // Erin is in 1 chat; Finn shares one with her, so she adds him to a group directly: 2 each.
    await erin.client.createGroup({ name: 'pair', memberIds: [finn.userId] });
    await rejectsWith(erin.client.createGroup({ name: 'third', memberIds: [] }), 'chat_limit');
    const third = await gus.client.createGroup({ name: 'gus asks', memberIds: [erin.userId] });
    await waitFor(() => erin.client.requests().some((r) => r.chatId === third.chatId), { what: 'erin is asked' });
    await rejectsWith(erin.client.acceptRequest(erin.client.requests().find((r) => r.chatId === third.chatId)!.requestId), 'chat_limit');
    await stop(erin, finn, gus);
  });
});
