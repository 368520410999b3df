import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ParleyError, type CallPeer, type CallView, type ParleyClient, type PeerFactory } from '@parley/client';
import type { CallCandidate } from '@parley/protocol';
import { addDevice, createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/**
 * R61 1:1 call signalling through the real server, end-to-end encrypted in the chat's log, with a
 * stand-in for RTCPeerConnection (Node has no WebRTC): it "connects" only when its remote
 * description is the other side's real SDP and a candidate of that side arrived, so what is checked
 * is that the right offer, answer and candidates reach the right device.
 */

let peers = 0;
class FakePeer implements CallPeer {
  readonly id = `peer${++peers}`;
  connectionState = 'new';
  onicecandidate: CallPeer['onicecandidate'] = null;
  onconnectionstatechange: (() => void) | null = null;
  #remote: string | undefined;
  #remoteCandidates = 0;
  closed = false;

  async createOffer() { return { type: 'offer', sdp: `v=0 fake-offer ${this.id}` }; }
  async createAnswer() { return { type: 'answer', sdp: `v=0 fake-answer ${this.id}` }; }
  async setLocalDescription(): Promise<void> {
    // Candidates trickle in after the local description, as a browser's do.
    setTimeout(() => {
      for (const n of [1, 2, 3]) this.onicecandidate?.({ candidate: { candidate: `candidate:${n} 1 udp ${n} 127.0.0.1 ${4000 + n} typ host ufrag ${this.id}`, sdpMid: '0', sdpMLineIndex: 0 } });
      this.onicecandidate?.({ candidate: null });
    }, 10);
  }
  async setRemoteDescription(d: { type: string; sdp: string }): Promise<void> {
    this.#remote = /fake-(?:offer|answer) (peer\d+)/.exec(d.sdp)?.[1];
    this.#check();
  }
  async addIceCandidate(c: CallCandidate): Promise<void> {
    if (this.#remote && c.candidate.endsWith(`ufrag ${this.#remote}`)) this.#remoteCandidates++;
    this.#check();
  }
  close(): void { this.closed = true; this.connectionState = 'closed'; }
  #check(): void {
    if (this.connectionState === 'new' && this.#remote && this.#remoteCandidates > 0) {
      this.connectionState = 'connected';
      this.onconnectionstatechange?.();
    }
  }
}

const fakePeers: PeerFactory = () => new FakePeer();
/** Every client a test started, stopped after it (a running client keeps the process alive). */
const running: ParleyClient[] = [];
const track = <T extends { client: ParleyClient }>(u: T): T => { running.push(u.client); return u; };
afterEach(async () => { await Promise.all(running.splice(0).map((c) => c.stop())); });
const tweaks = (ringMs = 20_000) => ({ client: { calls: { peer: fakePeers, ringMs } } });
const callOf = (u: TestUser, chatId: string): CallView | undefined => u.client.calls.list().filter((c) => c.chatId === chatId).at(-1);
const lineOf = (u: TestUser, chatId: string) => u.client.timeline(chatId).filter((i) => i.call).map((i) => i.call!);

/** The same device started again from its own store (an app reopened): it catches up with what it missed. */
async function reopen(u: TestUser, ringMs: number): Promise<TestUser> {
  const client = newClient(u.baseUrl, u.userId, u.deviceId, u.deviceKey, u.store, undefined, { calls: { peer: fakePeers, ringMs } });
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: `${u.handle} online again` });
  return track({ ...u, client });
}

async function pair(url: string, ringMs?: number) {
  const alice = track(await createUser(url, { displayName: 'Alice', ...tweaks(ringMs) }));
  const bob = track(await createUser(url, { displayName: 'Bob', ...tweaks(ringMs) }));
  const chat = await alice.client.openDirect(bob.userId);
  await waitFor(() => [alice, bob].every((u) => u.client.chat(chat.chatId)?.encryption === 'on'), { what: 'the chat encrypted', timeoutMs: 30_000 });
  return { alice, bob, chatId: chat.chatId };
}

describe('R61 call signalling through the encrypted chat log', () => {
  it('rings every device of the callee; one answers, the others stop; the call connects, is hung up, and its line says how long it was', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const { alice, bob, chatId } = await pair(server.url);
    const bobPhone = track(await addDevice(bob, tweaks()));
    await waitFor(() => bobPhone.client.chat(chatId)?.encryption === 'on', { what: 'bob\'s phone in the group', timeoutMs: 30_000 });

    const started = await alice.client.calls.start(chatId, { media: 'audio' });
    assert.equal(started.state, 'ringing');
    await waitFor(() => callOf(bob, chatId)?.state === 'ringing' && callOf(bobPhone, chatId)?.state === 'ringing', { what: 'both of bob\'s devices ring', timeoutMs: 15_000 });
    assert.equal(callOf(bob, chatId)?.peerUserId, alice.userId);
    assert.equal(callOf(bob, chatId)?.direction, 'incoming');

    await bob.client.calls.accept(started.callId);
    await waitFor(() => callOf(alice, chatId)?.state === 'active' && callOf(bob, chatId)?.state === 'active', { what: 'the call connects', timeoutMs: 15_000 });
    await waitFor(() => callOf(bobPhone, chatId)?.state === 'ended', { what: 'the phone stops ringing', timeoutMs: 15_000 });
    assert.equal(callOf(bobPhone, chatId)?.endReason, 'answered_elsewhere');
    assert.equal(callOf(bobPhone, chatId)?.peer, undefined, 'the phone never made a peer connection');

    await new Promise((r) => setTimeout(r, 1200));
    await alice.client.calls.hangUp(started.callId);
    await waitFor(() => callOf(bob, chatId)?.state === 'ended', { what: 'bob sees it end', timeoutMs: 15_000 });
    assert.equal(callOf(bob, chatId)?.endReason, 'remote_hangup');
    assert.equal((callOf(bob, chatId)?.peer as FakePeer | undefined)?.closed, true);
    for (const u of [alice, bob, bobPhone]) {
      await waitFor(() => lineOf(u, chatId).at(-1)?.outcome === 'ended', { what: 'the call line ended', timeoutMs: 15_000 });
      const [line] = lineOf(u, chatId);
      assert.equal(lineOf(u, chatId).length, 1, 'one line per call, whatever its entries');
      assert.equal(line?.answeredBy, bob.userId);
      assert.ok((line?.durationMs ?? 0) >= 1000, `duration ${line?.durationMs}`);
    }
    // The signalling is end-to-end encrypted: no SDP or candidate reached the server's storage in the clear.
    const bytes = serverBytes(server.dataDir);
    for (const needle of ['fake-offer', 'fake-answer', 'typ host ufrag']) assert.equal(leaks(bytes, Buffer.from(needle)), false, needle);
  });

  it('declined on one device: the caller hears it, the callee\'s other device stops ringing; a group chat refuses a 1:1 call', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const { alice, bob, chatId } = await pair(server.url);
    const bobPhone = track(await addDevice(bob, tweaks()));
    await waitFor(() => bobPhone.client.chat(chatId)?.encryption === 'on', { what: 'bob\'s phone in the group', timeoutMs: 30_000 });
    const call = await alice.client.calls.start(chatId);
    await waitFor(() => callOf(bobPhone, chatId)?.state === 'ringing' && callOf(bob, chatId)?.state === 'ringing', { what: 'ringing', timeoutMs: 15_000 });
    await bobPhone.client.calls.decline(call.callId);
    await waitFor(() => callOf(alice, chatId)?.endReason === 'declined' && callOf(bob, chatId)?.endReason === 'declined_elsewhere', { what: 'declined everywhere', timeoutMs: 15_000 });
    await waitFor(() => lineOf(alice, chatId).at(-1)?.outcome === 'declined', { what: 'declined line', timeoutMs: 15_000 });

    const group = await alice.client.createGroup({ name: 'Entrance 2', memberIds: [bob.userId] });
    await assert.rejects(alice.client.calls.start(group.chatId), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');
  });

  it('unanswered: it rings out as missed on both sides; a callee who comes back later is not rung but sees the missed call', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const { alice, bob, chatId } = await pair(server.url, 2000);
    await bob.client.stop();
    const call = await alice.client.calls.start(chatId);
    await waitFor(() => callOf(alice, chatId)?.state === 'ended', { what: 'the call rings out', timeoutMs: 15_000 });
    assert.equal(callOf(alice, chatId)?.endReason, 'missed');
    assert.equal((callOf(alice, chatId)?.peer as FakePeer | undefined)?.closed, true);
    // Bob's device comes back after the ring time, counted from the offer's log time (the server's: on a loaded
    // machine the offer can reach it well after Alice pressed Call): no ringing, a missed call in the chat.
    await waitFor(() => alice.client.outbox().length === 0, { what: 'the offer and its end stored', timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 2100));
    const back = await reopen(bob, 2000);
    await waitFor(() => lineOf(back, chatId).some((l) => l.callId === call.callId && l.outcome === 'missed'), { what: 'a missed call line', timeoutMs: 30_000 });
    assert.equal(back.client.calls.get(call.callId), undefined, 'never rang');
  });

  it('a callee offline when the call starts rings when it comes back within the ring time', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const { alice, bob, chatId } = await pair(server.url, 20_000);
    await bob.client.stop();
    const call = await alice.client.calls.start(chatId);
    await new Promise((r) => setTimeout(r, 500));
    const back = await reopen(bob, 20_000);
    await waitFor(() => back.client.calls.get(call.callId)?.state === 'ringing', { what: 'the returning device rings', timeoutMs: 30_000 });
    await back.client.calls.accept(call.callId);
    await waitFor(() => callOf(alice, chatId)?.state === 'active' && back.client.calls.get(call.callId)?.state === 'active', { what: 'connected', timeoutMs: 15_000 });
    await back.client.calls.hangUp(call.callId);
    await waitFor(() => callOf(alice, chatId)?.endReason === 'remote_hangup', { what: 'alice sees the end', timeoutMs: 15_000 });
  });

  it('both call each other at the same moment: one call results, the later caller answers the first', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const { alice, bob, chatId } = await pair(server.url);
    const [a, b] = await Promise.all([alice.client.calls.start(chatId), bob.client.calls.start(chatId)]);
    await waitFor(() => {
      const live = (u: TestUser) => u.client.calls.list().filter((c) => c.chatId === chatId && c.state === 'active');
      return live(alice).length === 1 && live(bob).length === 1 && live(alice)[0]!.callId === live(bob)[0]!.callId;
    }, { what: 'one call active on both sides', timeoutMs: 20_000 });
    const winner = alice.client.calls.list().find((c) => c.state === 'active')!.callId;
    const loser = winner === a.callId ? b.callId : a.callId;
    assert.ok([a.callId, b.callId].includes(winner));
    const loserCaller = loser === a.callId ? alice : bob;
    assert.equal(loserCaller.client.calls.get(loser)?.endReason, 'cancelled');
    await waitFor(() => lineOf(alice, chatId).some((l) => l.callId === winner && l.outcome === 'answered'), { what: 'the winning line answered', timeoutMs: 15_000 });
  });
});

/** Like a browser: candidates before the remote description are refused (InvalidStateError). */
class StrictPeer extends FakePeer {
  #hasRemote = false;
  override async setRemoteDescription(d: { type: string; sdp: string }): Promise<void> {
    this.#hasRemote = true;
    return super.setRemoteDescription(d);
  }
  override async addIceCandidate(c: CallCandidate): Promise<void> {
    if (!this.#hasRemote) throw new Error('InvalidStateError: the remote description was null');
    return super.addIceCandidate(c);
  }
}

/** A caller whose candidates come late (a TURN allocation over a lossy link takes a while). */
class LatePeer extends FakePeer {
  override async setLocalDescription(): Promise<void> {
    setTimeout(() => void super.setLocalDescription(), 1500);
  }
}

describe('R61/R65 candidates that arrive while the callee is still preparing', () => {
  it('R65 the caller\'s candidates arriving after Accept but before the offer is applied (a slow microphone) are kept and applied, so the call connects', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const alice = track(await createUser(server.url, { displayName: 'Alice', client: { calls: { peer: () => new LatePeer(), ringMs: 20_000 } } }));
    const bob = track(await createUser(server.url, { displayName: 'Bob', client: { calls: { peer: () => new StrictPeer(), ringMs: 20_000 } } }));
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => [alice, bob].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the chat encrypted', timeoutMs: 30_000 });
    const call = await alice.client.calls.start(chatId);
    await waitFor(() => callOf(bob, chatId)?.state === 'ringing', { what: 'bob\'s device rings', timeoutMs: 15_000 });
    // Accept at once; getUserMedia takes 3 s, during which Alice's candidates arrive.
    await bob.client.calls.accept(call.callId, { prepare: () => new Promise((r) => setTimeout(r, 3000)) });
    await waitFor(() => callOf(alice, chatId)?.state === 'active' && callOf(bob, chatId)?.state === 'active', { what: 'the call connects on both sides', timeoutMs: 15_000 });
  });
});
