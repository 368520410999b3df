import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { chatTopic } from '../bus/bus.ts';
import { MemoryBus } from '../bus/memory-bus.ts';
import type { Services } from '../services.ts';
import { Hub } from './hub.ts';
import { ReadGate } from './read-gate.ts';
import { MAX_READS_IN_FLIGHT, Session } from './session.ts';

/** The part of a ws WebSocket a Session uses; `send` records what was sent. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  isPaused = false;
  sent: string[] = [];
  pause(): void { this.isPaused = true; }
  resume(): void { this.isPaused = false; }
  send(data: string | Buffer): void { this.sent.push(String(data)); }
  close(): void { this.readyState = 3; this.emit('close'); }
  terminate(): void { this.close(); }
  ping(): void {}
  /** As ws does for a chunk read from TCP: every frame in it, synchronously, paused or not. */
  frames(...frames: object[]): void {
    for (const f of frames) this.emit('message', Buffer.from(JSON.stringify(f)), false);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

/** A signed-in session whose history reads wait until the test answers them. */
async function signedIn(): Promise<{ ws: FakeSocket; session: Session; reads: Array<{ rid: string; answer: () => void }> }> {
  const reads: Array<{ rid: string; answer: () => void }> = [];
  const services = {
    accounts: { authenticate: async () => ({ userId: 'user_aaaaaaaa', deviceId: 'dev_aaaaaaaa' }) },
    chats: { ids: async () => [], page: async () => ({ chats: [] }) },
    channels: { subscribedIds: async () => [] },
    channelWraps: { memberOf: async () => [], needingWraps: async () => [] },
    delivery: {
      admitHistory: async () => undefined,
      readHistory: (frame: { rid: string }) => new Promise((resolve) => {
        reads.push({ rid: frame.rid, answer: () => resolve({ messages: [], hasMore: false }) });
      }),
    },
  } as unknown as Services;
  const ws = new FakeSocket();
  const session = new Session(ws as unknown as WebSocket, services, new Hub(new MemoryBus()), {
    maxFrameBytes: 65536, bufferBytes: 1 << 20, authTimeoutMs: 10_000, framesPerSec: 0, pingIntervalMs: 30_000, onError: (err) => { throw err; },
  }, new ReadGate());
  ws.frames({ type: 'auth', v: PROTOCOL_VERSION, token: 'token' });
  await tick();
  assert.match(ws.sent.at(-1) ?? '', /"auth_ok"/);
  return { ws, session, reads };
}

const history = (i: number) => ({ type: 'history', rid: `h${i}`, chatId: 'chat_aaaaaaaa', afterSeq: 0, limit: 500 });

describe('Session reads in flight (R40)', () => {
  it('R40 frames already read from TCP when the socket pauses start no more than MAX_READS_IN_FLIGHT reads; the rest wait their turn, in order', async () => {
    const { ws, reads } = await signedIn();
    ws.frames(...Array.from({ length: 50 }, (_, i) => history(i)));
    await tick();
    assert.equal(reads.length, MAX_READS_IN_FLIGHT, 'reads started at once');
    assert.ok(ws.isPaused, 'the socket is not read while reads wait');
    for (let done = 0; done < 50; done++) {
      reads[done]!.answer();
      await tick();
      assert.ok(reads.length - (done + 1) <= MAX_READS_IN_FLIGHT, `at most ${MAX_READS_IN_FLIGHT} reads in flight`);
      if (done < 50 - MAX_READS_IN_FLIGHT) assert.ok(ws.isPaused, 'still paused while reads wait');
    }
    assert.deepEqual(reads.map((r) => r.rid), Array.from({ length: 50 }, (_, i) => `h${i}`));
    assert.equal(ws.sent.filter((s) => s.includes('"type":"history"')).length, 50, 'every read answered');
    assert.equal(ws.isPaused, false, 'read again once no read waits');
  });

  it('R40 a read starts only when the send buffer has room for a page: a slow link\'s pages never queue past the buffer', async () => {
    const { ws, reads } = await signedIn();
    ws.bufferedAmount = 0.9 * (1 << 20); // the client is not taking what was sent
    ws.frames(history(1), history(2));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reads.length, 0, 'no page made while the buffer is more than half full');
    ws.bufferedAmount = 0.4 * (1 << 20); // the link caught up
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reads.length, 2);
    for (const r of reads) r.answer();
    await tick();
    assert.equal(ws.sent.filter((s) => s.includes('"type":"history"')).length, 2);
  });

  it('R40 reads waiting when the connection closes are dropped, not answered', async () => {
    const { ws, session, reads } = await signedIn();
    ws.frames(...Array.from({ length: 10 }, (_, i) => history(i)));
    await tick();
    session.close(4008, 'slow consumer');
    for (const r of reads) r.answer();
    await tick();
    await tick();
    assert.equal(reads.length, MAX_READS_IN_FLIGHT, 'no waiting read started after the close');
  });
});

describe('Session sign-in (R145)', () => {
  it('R145 a message committed while the sign-in reads the chat list goes out after auth_ok, never before it', async () => {
    // The flaky-network flake: the event reached the client before auth_ok, whose list was read
    // before the message was committed; the client could not read the gap yet and forgot it.
    const chatId = 'chat_aaaaaaaa';
    let listRead: (page: { chats: unknown[] }) => void = () => {};
    const services = {
      accounts: { authenticate: async () => ({ userId: 'user_aaaaaaaa', deviceId: 'dev_aaaaaaaa' }) },
      chats: { ids: async () => [chatId], page: () => new Promise((resolve) => { listRead = resolve; }) },
      channels: { subscribedIds: async () => [] },
    channelWraps: { memberOf: async () => [], needingWraps: async () => [] },
    } as unknown as Services;
    const bus = new MemoryBus();
    const ws = new FakeSocket();
    new Session(ws as unknown as WebSocket, services, new Hub(bus), {
      maxFrameBytes: 65536, bufferBytes: 1 << 20, authTimeoutMs: 10_000, framesPerSec: 0, pingIntervalMs: 30_000, onError: (err) => { throw err; },
    }, new ReadGate());
    ws.frames({ type: 'auth', v: PROTOCOL_VERSION, token: 'token' });
    await tick();
    const message = { chatId, seq: 7, clientMsgId: 'm7', senderUserId: 'user_bbbbbbbb', senderDeviceId: 'dev_bbbbbbbb', sentAt: 1, envelope: null, system: null };
    await bus.publish(chatTopic(chatId), { type: 'message', message });
    listRead({ chats: [{ chatId, lastSeq: 6 }] });
    await tick();
    assert.deepEqual(ws.sent.map((s) => (JSON.parse(s) as { type: string }).type), ['auth_ok', 'message']);
  });
});
