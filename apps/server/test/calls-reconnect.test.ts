import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { CallPeer, CallView, ParleyClient, PeerFactory, WebSocketCtor } from '@parley/client';
import type { CallCandidate } from '@parley/protocol';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';

/**
 * R102 reconnecting a 1:1 call without hanging up, through the real server and the encrypted chat
 * log, with a stand-in for RTCPeerConnection (Node has no WebRTC) that behaves like ICE where it
 * matters: it connects only with the other side's current ICE credentials (its "ufrag", fresh after
 * every restart) and one of its candidates with them, and only while the shared network is up; when
 * the network drops, connected peers go `disconnected`, then `failed`, and stay there until an ICE
 * restart's checks run on a network that is up again (as a browser's do); when one side connects, the
 * other side with the same credentials does too (its peer's checks reach it).
 */

class Network {
  up = true;
  readonly peers = new Set<RestartingPeer>();
  drop(): void {
    this.up = false;
    for (const p of this.peers) p.networkDown();
  }
  restore(): void {
    this.up = true;
  }
}

let peerCount = 0;
class RestartingPeer implements CallPeer {
  readonly id = `rp${++peerCount}`;
  connectionState = 'new';
  onicecandidate: CallPeer['onicecandidate'] = null;
  onconnectionstatechange: (() => void) | null = null;
  /** This side's ICE credentials generation (fresh on restartIce, or on answering a restart offer). */
  #gen = 1;
  #restartAsked = false;
  #remote: string | undefined;
  #remoteCandidate = false;
  /** Every remote description set, in order (the test reads how many restarts each side applied). */
  readonly remoteDescriptions: string[] = [];
  closed = false;

  constructor(readonly net: Network) {
    net.peers.add(this);
  }

  get #ufrag(): string { return `${this.id}g${this.#gen}`; }
  restartIce(): void { this.#restartAsked = true; }
  async createOffer() {
    if (this.#restartAsked) { this.#gen++; this.#restartAsked = false; }
    return { type: 'offer', sdp: `v=0 fake-offer ufrag=${this.#ufrag}` };
  }
  async createAnswer() { return { type: 'answer', sdp: `v=0 fake-answer ufrag=${this.#ufrag}` }; }
  async setLocalDescription(): Promise<void> {
    const ufrag = this.#ufrag;
    setTimeout(() => {
      if (this.closed) return;
      this.onicecandidate?.({ candidate: { candidate: `candidate:1 1 udp 1 127.0.0.1 4001 typ host ufrag ${ufrag}`, sdpMid: '0', sdpMLineIndex: 0 } });
      this.onicecandidate?.({ candidate: null });
    }, 10);
  }
  async setRemoteDescription(d: { type: string; sdp: string }): Promise<void> {
    this.remoteDescriptions.push(d.sdp);
    const ufrag = /ufrag=(\S+)/.exec(d.sdp)?.[1];
    if (ufrag !== this.#remote) {
      // A restart offer: the answer carries fresh credentials of this side too (RFC 8445 §9).
      if (this.#remote !== undefined && d.type === 'offer') this.#gen++;
      this.#remote = ufrag;
      this.#remoteCandidate = false;
    }
    this.#check();
  }
  async addIceCandidate(c: CallCandidate): Promise<void> {
    if (this.#remote && c.candidate.endsWith(`ufrag ${this.#remote}`)) this.#remoteCandidate = true;
    else throw new Error('candidate of other ICE credentials'); // a browser refuses them too
    this.#check();
  }
  close(): void { this.closed = true; this.connectionState = 'closed'; this.net.peers.delete(this); }
  networkDown(): void {
    if (this.connectionState !== 'connected') return;
    this.#set('disconnected');
    setTimeout(() => { if (this.connectionState === 'disconnected') this.#set('failed'); }, 150);
  }
  #check(): void {
    if (this.closed || !this.net.up || !this.#remote || !this.#remoteCandidate || this.connectionState === 'connected') return;
    // ICE checks take a moment; a network that went down meanwhile fails them.
    setTimeout(() => {
      if (this.closed || !this.net.up || this.connectionState === 'connected') return;
      this.#set('connected');
      // ICE is two-sided: this side's checks reach the other side, whose triggered checks then succeed
      // too, even if its own last check ran while the network was still down.
      for (const p of this.net.peers) if (p !== this && p.#remote === this.#ufrag && this.#remote === p.#ufrag) p.#check();
    }, 30);
  }
  #set(state: string): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}

/** A `ws` WebSocket whose live sockets a test can cut (the client reconnects by itself). */
function cuttableSockets(): { WebSocket: WebSocketCtor; cut(): void } {
  const live = new Set<WebSocket>();
  class Cuttable extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      live.add(this);
      this.on('close', () => live.delete(this));
    }
  }
  return { WebSocket: Cuttable as unknown as WebSocketCtor, cut: () => { for (const ws of live) ws.terminate(); } };
}

const running: ParleyClient[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((c) => c.stop())); });
const callOf = (u: TestUser, chatId: string): CallView | undefined => u.client.calls.list().filter((c) => c.chatId === chatId).at(-1);
const peerOf = (u: TestUser, chatId: string) => callOf(u, chatId)?.peer as RestartingPeer | undefined;

async function connectedPair(url: string, net: Network, calls: { reconnectMs?: number; restartRetryMs?: number }, WebSocketImpl?: WebSocketCtor, bobWebSocket?: WebSocketCtor) {
  const peer: PeerFactory = () => new RestartingPeer(net);
  const make = async (displayName: string, ws?: WebSocketCtor) => {
    const u = await createUser(url, { displayName, client: { calls: { peer, ringMs: 20_000, ...calls }, ...(ws ? { WebSocket: ws } : {}) } });
    running.push(u.client);
    return u;
  };
  const alice = await make('Alice', WebSocketImpl);
  const bob = await make('Bob', bobWebSocket);
  const chat = await alice.client.openDirect(bob.userId);
  await waitFor(() => [alice, bob].every((u) => u.client.chat(chat.chatId)?.encryption === 'on'), { what: 'the chat encrypted', timeoutMs: 30_000 });
  const call = await alice.client.calls.start(chat.chatId, { media: 'audio' });
  await waitFor(() => callOf(bob, chat.chatId)?.state === 'ringing', { what: 'bob\'s device rings', timeoutMs: 15_000 });
  await bob.client.calls.accept(call.callId);
  await waitFor(() => callOf(alice, chat.chatId)?.state === 'active' && callOf(bob, chat.chatId)?.state === 'active', { what: 'the call connects', timeoutMs: 15_000 });
  return { alice, bob, chatId: chat.chatId, callId: call.callId };
}

describe('R102 a 1:1 call reconnects without hanging up', () => {
  it('R102 the network drops for a while: both sides say reconnecting, the caller restarts ICE, the same call comes back and counts on', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const net = new Network();
    const { alice, bob, chatId, callId } = await connectedPair(server.url, net, { restartRetryMs: 400 });
    const connectedAt = callOf(alice, chatId)?.connectedAt;

    net.drop();
    await waitFor(() => callOf(alice, chatId)?.reconnectingSince !== undefined && callOf(bob, chatId)?.reconnectingSince !== undefined, { what: 'both sides reconnecting', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 1500)); // restarts made while the network is down fail, as they would
    for (const u of [alice, bob]) assert.equal(callOf(u, chatId)?.state, 'active', 'still in the call');
    net.restore();
    await waitFor(() => [alice, bob].every((u) => callOf(u, chatId)?.reconnectingSince === undefined && peerOf(u, chatId)?.connectionState === 'connected'), { what: 'the call is back', timeoutMs: 15_000 });
    for (const u of [alice, bob]) {
      const view = callOf(u, chatId);
      assert.equal(view?.callId, callId, 'the same call');
      assert.equal(view?.state, 'active');
    }
    assert.equal(callOf(alice, chatId)?.connectedAt, connectedAt, 'its duration counts from the first connection');
    // Bob's device applied the caller's restarts: each a new offer with fresh credentials, after the first one.
    const bobApplied = peerOf(bob, chatId)?.remoteDescriptions ?? [];
    assert.ok(bobApplied.length >= 2, `bob applied ${bobApplied.length} offers`);
    assert.equal(new Set(bobApplied).size, bobApplied.length, 'each restart offer carries new ICE credentials');
    // One line in the chat for the call, still answered (not ended, not failed).
    const lines = alice.client.timeline(chatId).filter((i) => i.call);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.call?.outcome, 'answered');
  });

  it('R102 the caller\'s connection to the server drops (a network change): it restarts ICE once back, and a restart seen again is not applied twice', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const net = new Network();
    const sockets = cuttableSockets();
    const { alice, bob, chatId, callId } = await connectedPair(server.url, net, {}, sockets.WebSocket);
    const before = peerOf(bob, chatId)?.remoteDescriptions.length ?? 0;
    sockets.cut();
    await waitFor(() => alice.client.connectionState !== 'online', { what: 'alice offline', timeoutMs: 5000 });
    await waitFor(() => alice.client.connectionState === 'online', { what: 'alice back online', timeoutMs: 15_000 });
    await waitFor(() => (peerOf(bob, chatId)?.remoteDescriptions.length ?? 0) === before + 1, { what: 'bob applies the restart', timeoutMs: 15_000 });
    await waitFor(() => peerOf(alice, chatId)?.connectionState === 'connected' && callOf(alice, chatId)?.state === 'active', { what: 'still connected', timeoutMs: 15_000 });
    // The same restart entry delivered once more (a log caught up again after a reconnect): ignored.
    const offer = peerOf(bob, chatId)?.remoteDescriptions.at(-1) ?? '';
    const message = { seq: 1_000_000, senderUserId: alice.userId, senderDeviceId: alice.deviceId, sentAt: Date.now() } as Parameters<ParleyClient['calls']['received']>[1];
    await bob.client.calls.received(chatId, message, { kind: 'call', callId, action: 'restart', sdp: offer, to: bob.deviceId, generation: 1 });
    assert.equal(peerOf(bob, chatId)?.remoteDescriptions.length, before + 1, 'generation 1 again is not applied');
    assert.equal(callOf(bob, chatId)?.state, 'active');
  });

  it('R102 the callee\'s connection to the server drops (its network changed): the callee restarts ICE once back; both at once: the call comes back', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const net = new Network();
    const [aliceSockets, bobSockets] = [cuttableSockets(), cuttableSockets()];
    const { alice, bob, chatId, callId } = await connectedPair(server.url, net, {}, aliceSockets.WebSocket, bobSockets.WebSocket);
    const offersTo = (u: TestUser) => (peerOf(u, chatId)?.remoteDescriptions ?? []).filter((d) => d.includes('fake-offer')).length;
    const before = offersTo(alice);
    bobSockets.cut();
    await waitFor(() => bob.client.connectionState !== 'online', { what: 'bob offline', timeoutMs: 5000 });
    await waitFor(() => bob.client.connectionState === 'online', { what: 'bob back online', timeoutMs: 15_000 });
    await waitFor(() => offersTo(alice) === before + 1, { what: 'alice applies bob\'s restart offer', timeoutMs: 15_000 });
    await waitFor(() => [alice, bob].every((u) => peerOf(u, chatId)?.connectionState === 'connected' && callOf(u, chatId)?.state === 'active'), { what: 'still connected', timeoutMs: 15_000 });

    // Both devices' connections drop and come back at once: whichever restarts cross, one path results.
    aliceSockets.cut();
    bobSockets.cut();
    await waitFor(() => [alice, bob].every((u) => u.client.connectionState === 'online'), { what: 'both back online', timeoutMs: 15_000 });
    await waitFor(() => offersTo(bob) >= 2, { what: 'bob applies the caller\'s restart', timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1000));
    for (const u of [alice, bob]) {
      assert.equal(peerOf(u, chatId)?.connectionState, 'connected');
      assert.equal(callOf(u, chatId)?.callId, callId, 'the same call');
      assert.equal(callOf(u, chatId)?.state, 'active');
    }
  });

  it('R102 no media path for longer than the limit: both sides end the call as lost, and its line says it failed', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const net = new Network();
    const { alice, bob, chatId } = await connectedPair(server.url, net, { reconnectMs: 2000, restartRetryMs: 400 });
    net.drop();
    await waitFor(() => callOf(alice, chatId)?.reconnectingSince !== undefined, { what: 'reconnecting', timeoutMs: 5000 });
    await waitFor(() => callOf(alice, chatId)?.state === 'ended' && callOf(bob, chatId)?.state === 'ended', { what: 'the call ends', timeoutMs: 10_000 });
    for (const u of [alice, bob]) assert.equal(callOf(u, chatId)?.endReason, 'connection_lost');
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.call)?.call?.outcome === 'failed', { what: 'the line says failed', timeoutMs: 10_000 });
  });
});
