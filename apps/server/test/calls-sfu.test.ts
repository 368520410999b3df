import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { groupCallInProgress, ParleyError, type ParleyClient } from '@parley/client';
import { API_PREFIX, ServerInfo, type GroupCallRoom } from '@parley/protocol';
import { addDevice, createTestDatabase, createUser, Janus, startTestServer, waitFor, type TestServer } from '@parley/testing';

/**
 * R62 group call rooms through the real server and a real Janus (Debian's package, VideoRoom):
 * members of a group chat get a token Janus accepts for their chat's room only; Janus refuses
 * anyone else; a removed member or a revoked device is dropped from the room and its token stops
 * working. Joining as a publisher over Janus's public HTTP API needs no WebRTC, so this is Node only.
 */

const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

type Json = Record<string, any>;

/** A participant on Janus's public API (HTTP, long-poll), as a client holding a Parley-issued token. */
class JanusPeer {
  #session = 0;
  #handle = 0;
  #events: Json[] = [];
  #polling = false;
  constructor(readonly url: string, public token: string) {}

  /** Creates a session; Janus's error object when it refuses the token. */
  async open(): Promise<Json | undefined> {
    const reply = await this.#post(this.url, { janus: 'create' });
    if (reply.janus !== 'success') return reply.error as Json;
    this.#session = reply.data.id;
    this.#polling = true;
    void this.#poll();
    return undefined;
  }

  async attach(): Promise<void> {
    const reply = await this.#post(`${this.url}/${this.#session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
    assert.equal(reply.janus, 'success', JSON.stringify(reply));
    this.#handle = reply.data.id;
  }

  /** Joins as a publisher; the plugin's answer (`joined` or an error event). */
  async join(room: number, feedId: number, roomToken = this.token): Promise<Json> {
    const before = this.#events.length;
    const reply = await this.#post(`${this.url}/${this.#session}/${this.#handle}`, {
      janus: 'message', body: { request: 'join', ptype: 'publisher', room, id: feedId, token: roomToken, display: 'test' },
    });
    assert.equal(reply.janus, 'ack', JSON.stringify(reply));
    let answer: Json | undefined;
    await waitFor(() => {
      answer = this.#events.slice(before).map((e) => e.plugindata?.data).find((d) => d && (d.videoroom === 'joined' || d.error_code));
      return answer !== undefined;
    }, { what: 'join answer' });
    return answer!;
  }

  /** The VideoRoom events this peer got so far. */
  get events(): Json[] {
    return this.#events.map((e) => e.plugindata?.data).filter(Boolean);
  }

  close(): void {
    this.#polling = false;
  }

  async #poll(): Promise<void> {
    while (this.#polling) {
      try {
        const res = await fetch(`${this.url}/${this.#session}?maxev=10&token=${encodeURIComponent(this.token)}`);
        const body = (await res.json()) as Json | Json[];
        const list = Array.isArray(body) ? body : [body];
        if (list.some((e) => e.janus === 'error')) return; // token gone or session over
        this.#events.push(...list.filter((e) => e.janus === 'event'));
      } catch {
        return;
      }
    }
  }

  async #post(url: string, body: Json): Promise<Json> {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ ...body, transaction: randomBytes(6).toString('hex'), token: this.token }) });
    return (await res.json()) as Json;
  }
}

/** A Janus admin request from the test itself (what is really in the room). */
async function publishers(janus: Janus, room: number): Promise<number[]> {
  const res = await fetch(janus.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ janus: 'message_plugin', plugin: 'janus.plugin.videoroom', transaction: 'p', admin_secret: janus.adminSecret, request: { request: 'listparticipants', room } }),
  });
  const reply = (await res.json()) as Json;
  return ((reply.response?.participants ?? []) as Json[]).map((p) => p.id as number).sort();
}

function sfuEnv(janus: Janus, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
    PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000', ...extra,
  };
}

async function joined(peer: JanusPeer, grant: GroupCallRoom): Promise<Json> {
  assert.equal(await peer.open(), undefined);
  await peer.attach();
  return peer.join(grant.room, grant.feedId);
}

describe('R62 group call rooms on Janus', () => {
  it('a server without an SFU says so: /info calls.sfu false and calls_unavailable (503)', async () => {
    await using server = await startTestServer();
    const info = ServerInfo.parse(await (await fetch(`${server.url}${API_PREFIX}/info`)).json());
    assert.deepEqual(info.calls, { turn: false, sfu: false, ringMaxMembers: 32 });
    const alice = await createUser(server.url, { start: false });
    const { chatId } = await alice.client.createGroup({ name: 'Building', memberIds: [] });
    await assert.rejects(alice.client.groupCallRoom(chatId), code('calls_unavailable'));
  });

  it('members join their group\'s room as publishers and see each other; non-members, direct chats, made-up tokens and other rooms\' tokens get nothing', { timeout: 60_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer(sfuEnv(janus, { PARLEY_RATE_SFU_ROOM_PER_HOUR: '5' }));
    const info = ServerInfo.parse(await (await fetch(`${server.url}${API_PREFIX}/info`)).json());
    assert.deepEqual(info.calls, { turn: false, sfu: true, ringMaxMembers: 32 });
    // The web app may reach Janus's public API (its CSP names that origin), nothing more.
    const csp = (await fetch(`${server.url}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ws://[^;]* ${new URL(janus.url).origin.replace(/[.]/g, '\\.')}(;|$)`), csp);
    const alice = await createUser(server.url, { start: false, displayName: 'Alice' });
    const bob = await createUser(server.url, { start: false, displayName: 'Bob' });
    const mallory = await createUser(server.url, { start: false, displayName: 'Mallory' });
    const { chatId } = await alice.client.createGroup({ name: 'Entrance 2', memberIds: [bob.userId] });

    // Authorization at the Parley server: a non-member, a direct chat, no session, a malformed body.
    await assert.rejects(mallory.client.groupCallRoom(chatId), code('not_member'));
    const direct = await alice.client.openDirect(mallory.userId);
    await assert.rejects(alice.client.groupCallRoom(direct.chatId), code('bad_request'));
    const noSession = await fetch(`${server.url}${API_PREFIX}/calls/room`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId }) });
    assert.equal(noSession.status, 401);
    const session = await alice.client['tokens'].get(false);
    const malformed = await fetch(`${server.url}${API_PREFIX}/calls/room`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` }, body: JSON.stringify({ chatId, room: 1 }) });
    assert.equal(malformed.status, 400);

    const a = await alice.client.groupCallRoom(chatId);
    assert.equal(a.url, janus.url);
    assert.deepEqual(a.iceServers, []);
    assert.ok(a.expiresAt > Date.now() + 59 * 60_000, `expires ${new Date(a.expiresAt).toISOString()}`);
    assert.ok(!a.token.includes(alice.userId) && !a.token.includes(alice.deviceId) && !a.token.includes(chatId), 'the token names nobody');
    const b = await bob.client.groupCallRoom(chatId);
    assert.equal(b.room, a.room);
    assert.notEqual(b.token, a.token);
    assert.notEqual(b.feedId, a.feedId);

    // Janus refuses a made-up token outright, and a client cannot create rooms of its own.
    const stranger = new JanusPeer(janus.url, randomBytes(24).toString('base64url'));
    const refused = await stranger.open();
    assert.equal(refused?.code, 403, JSON.stringify(refused));

    const alicePeer = new JanusPeer(a.url, a.token);
    const bobPeer = new JanusPeer(b.url, b.token);
    try {
      const aj = await joined(alicePeer, a);
      assert.equal(aj.videoroom, 'joined', JSON.stringify(aj));
      assert.equal(aj.id, a.feedId);
      const bj = await joined(bobPeer, b);
      assert.equal(bj.videoroom, 'joined', JSON.stringify(bj));
      // Bob is told who is in the room; Alice is told Bob joined (notify_joining).
      assert.deepEqual((bj.attendees ?? bj.publishers ?? []).map((p: Json) => p.id).concat(), [a.feedId]);
      await waitFor(() => alicePeer.events.some((e) => e.joining?.id === b.feedId), { what: 'alice sees bob join' });
      assert.deepEqual(await publishers(janus, a.room), [a.feedId, b.feedId].sort());

      // A client cannot make a room (the plugin's admin_key), nor use its token for another group's room.
      const create = await bobPeer.join(a.room + 1, b.feedId); // a room that doesn't exist
      assert.ok(create.error_code, JSON.stringify(create));
      const other = await alice.client.createGroup({ name: 'Other', memberIds: [] });
      const o = await alice.client.groupCallRoom(other.chatId);
      assert.notEqual(o.room, a.room);
      const intruder = new JanusPeer(janus.url, b.token);
      assert.equal(await intruder.open(), undefined);
      await intruder.attach();
      const wrongRoom = await intruder.join(o.room, b.feedId + 1);
      assert.equal(wrongRoom.error_code, 433, `not in the allowed list: ${JSON.stringify(wrongRoom)}`);
      intruder.close();

      // PARLEY_RATE_SFU_ROOM_PER_HOUR (5 here): alice's device asked twice; three more, then it waits.
      for (let i = 0; i < 3; i++) await alice.client.groupCallRoom(chatId);
      await assert.rejects(alice.client.groupCallRoom(chatId), code('rate_limited'));
    } finally {
      alicePeer.close();
      bobPeer.close();
    }
  });

  it('a removed member and a revoked device are dropped from the room and their tokens stop working; a wrong publisher id is kicked by the sweep', { timeout: 60_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer(sfuEnv(janus));
    const alice = await createUser(server.url, { start: false, displayName: 'Alice' });
    const bob = await createUser(server.url, { start: false, displayName: 'Bob' });
    const carol = await createUser(server.url, { start: false, displayName: 'Carol' });
    const carol2 = await addDevice(carol);
    const { chatId } = await alice.client.createGroup({ name: 'Entrance 2', memberIds: [bob.userId, carol.userId] });
    const [a, b, c, c2] = await Promise.all([alice, bob, carol, carol2].map((u) => u.client.groupCallRoom(chatId)));
    const peers = [a, b, c, c2].map((g) => new JanusPeer(g!.url, g!.token));
    const [ap, bp, cp, c2p] = peers as [JanusPeer, JanusPeer, JanusPeer, JanusPeer];
    try {
      for (const [peer, grant] of [[ap, a], [bp, b], [cp, c], [c2p, c2]] as const) {
        assert.equal((await joined(peer, grant!)).videoroom, 'joined');
      }
      const room = a!.room;
      assert.equal((await publishers(janus, room)).length, 4);

      // Alice removes Bob: his publisher is kicked (Alice sees it go) and his token opens nothing any more.
      await alice.client.removeMember(chatId, bob.userId);
      await waitFor(async () => !(await publishers(janus, room)).includes(b!.feedId), { what: 'bob kicked' });
      await waitFor(() => ap.events.some((e) => e.kicked === b!.feedId || e.leaving === b!.feedId || e.unpublished === b!.feedId), { what: 'alice sees bob leave' });
      const bobAgain = new JanusPeer(janus.url, b!.token);
      assert.equal((await bobAgain.open())?.code, 403, 'bob\'s token is gone from Janus');
      await assert.rejects(bob.client.groupCallRoom(chatId), code('not_member'));

      // Carol revokes her second device: that device is kicked and its token is gone; her first stays.
      await carol2.client.stop(); // its own client would only complain that it was signed out
      await carol.client.revokeDevice(carol2.deviceId);
      await waitFor(async () => !(await publishers(janus, room)).includes(c2!.feedId), { what: 'carol2 kicked' });
      assert.equal((await new JanusPeer(janus.url, c2!.token).open())?.code, 403);
      assert.deepEqual(await publishers(janus, room), [a!.feedId, c!.feedId].sort());

      // A member who joins at an id the server did not give it is let in by Janus, and kicked by the sweep.
      const sneaky = new JanusPeer(janus.url, c!.token);
      assert.equal(await sneaky.open(), undefined);
      await sneaky.attach();
      assert.equal((await sneaky.join(room, 4242)).videoroom, 'joined');
      const swept = await server.services.groupCalls.sweep();
      assert.equal(swept.kicked, 1, JSON.stringify(swept));
      assert.deepEqual(await publishers(janus, room), [a!.feedId, c!.feedId].sort());
      sneaky.close();
    } finally {
      for (const p of peers) p.close();
      await carol2.client.stop();
    }
  });
});

describe('R62 group calls in the SDK (Janus over HTTP long-poll, no WebRTC in Node)', () => {
  it('two devices join with client.calls.joinGroup and each sees the other; a removed member is dropped and the other sees it go', { timeout: 60_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer(sfuEnv(janus));
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { displayName })));
    try {
      const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId] });
      await waitFor(() => bob!.client.chat(chatId) !== undefined && carol!.client.chat(chatId) !== undefined, { what: 'the group reaches bob and carol' });
      const a = await alice!.client.calls.joinGroup(chatId);
      const b = await bob!.client.calls.joinGroup(chatId);
      assert.equal(a.view.state, 'joined');
      await waitFor(() => a.view.participants.some((p) => p.feedId === b.view.feedId), { what: 'alice sees bob' });
      assert.deepEqual(b.view.participants.map((p) => p.feedId), [a.view.feedId], 'bob sees alice on joining');
      assert.deepEqual(await publishers(janus, a.view.room), [a.view.feedId, b.view.feedId].sort());
      // R63: every member's chat shows a call in progress and who is in it (by person and publisher id), Carol's too (not in it).
      const inCall = (client: ParleyClient) => groupCallInProgress(client.timeline(chatId), Date.now())?.call?.group?.participants.map((p) => `${p.userId}:${p.feedId}`).sort().join(',') ?? '';
      const both = [`${alice!.userId}:${a.view.feedId}`, `${bob!.userId}:${b.view.feedId}`].sort().join(',');
      await waitFor(() => [alice, bob, carol].every((u) => inCall(u!.client) === both), { what: 'everyone sees alice and bob in the call' });

      // A third joins and leaves on its own: the others see both.
      const c = await carol!.client.calls.joinGroup(chatId);
      await waitFor(() => a.view.participants.length === 2 && b.view.participants.length === 2, { what: 'both see carol' });
      await c.leave();
      assert.equal(c.view.state, 'left');
      await waitFor(() => a.view.participants.length === 1 && b.view.participants.length === 1, { what: 'both see carol leave' });
      await waitFor(() => inCall(carol!.client) === both, { what: 'carol\'s join and leave in the log' });

      // Alice removes Bob: his call ends, Alice sees him go, and he cannot join again.
      await alice!.client.removeMember(chatId, bob!.userId);
      await waitFor(() => b.view.state === 'left', { what: 'bob dropped' });
      await waitFor(() => a.view.participants.length === 0, { what: 'alice sees bob go' });
      await assert.rejects(bob!.client.calls.joinGroup(chatId), (err) => err instanceof ParleyError);
      await waitFor(() => inCall(alice!.client) === `${alice!.userId}:${a.view.feedId}`, { what: 'the line drops removed bob' });
      await a.leave();
      assert.deepEqual(await publishers(janus, a.view.room), []);
      // The last one out ends the line: no call in progress, the line says how long it ran.
      await waitFor(() => inCall(carol!.client) === '', { what: 'the call over for carol' });
      const line = carol!.client.timeline(chatId).find((i) => i.call?.group);
      assert.equal(line?.call?.outcome, 'ended');
      assert.ok((line?.call?.durationMs ?? -1) >= 0);
    } finally {
      await Promise.all([alice, bob, carol].map((u) => u!.client.stop()));
    }
  });
});

describe('R62 group call rooms in a cluster (PostgreSQL + NATS, one Janus)', () => {
  it('two nodes give the same room, and a removal through one node drops the token the other node issued', { timeout: 90_000 }, async () => {
    await using janus = await Janus.start();
    await using db = await createTestDatabase();
    const env = { ...sfuEnv(janus), PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: 'nats://127.0.0.1:4222', PARLEY_NATS_PREFIX: `sfu${randomBytes(4).toString('hex')}` };
    const nodes: TestServer[] = [];
    await using _nodes = { [Symbol.asyncDispose]: async () => { for (const n of nodes) await n.close(); } };
    for (let i = 1; i <= 2; i++) nodes.push(await startTestServer({ ...env, PARLEY_NODE_ID: `sfu-node${i}` }));
    const [one, two] = nodes as [TestServer, TestServer];
    const alice = await createUser(one.url, { start: false });
    const bob = await createUser(two.url, { start: false });
    const { chatId } = await alice.client.createGroup({ name: 'Entrance 2', memberIds: [bob.userId] });
    const a = await alice.client.groupCallRoom(chatId); // through node 1
    const b = await bob.client.groupCallRoom(chatId); // through node 2
    assert.equal(a.room, b.room, 'one room per chat, whichever node is asked');
    const bp = new JanusPeer(janus.url, b.token);
    try {
      assert.equal((await joined(bp, b)).videoroom, 'joined');
      // Alice removes Bob through node 1, which never issued Bob's token: it is gone all the same.
      await alice.client.removeMember(chatId, bob.userId);
      await waitFor(async () => (await publishers(janus, a.room)).length === 0, { what: 'bob kicked' });
      assert.equal((await new JanusPeer(janus.url, b.token).open())?.code, 403);
      // Node 2's sweep finds nothing left to do; node 1's neither.
      assert.deepEqual(await two.services.groupCalls.sweep(), { tokensRemoved: 0, kicked: 0, roomsDestroyed: 0 });
      assert.deepEqual(await one.services.groupCalls.sweep(), { tokensRemoved: 0, kicked: 0, roomsDestroyed: 0 });
    } finally {
      bp.close();
    }
  });
});
