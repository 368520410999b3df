import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallContent } from '@parley/protocol';
import { CallSecret, combineCallKey, seatTag } from './call-secret.ts';
import type { CallEpochKey } from './frame-keys.ts';
import type { Timers } from './group-call-keys.ts';

const chatId = 'chat-1';

/** Timers that fire when the test says so. */
class ManualTimers implements Timers {
  readonly #due = new Map<number, () => void>();
  #next = 1;
  set(fn: () => void, _ms: number): unknown { const id = this.#next++; this.#due.set(id, fn); return id; }
  clear(t: unknown): void { this.#due.delete(t as number); }
  now(): number { return 0; }
  get pending(): number { return this.#due.size; }
  fire(): void { const fns = [...this.#due.values()]; this.#due.clear(); for (const fn of fns) fn(); }
}

/** A chat's log shared by the participants (every entry parsed by the protocol schema, as the wire would). */
class Log {
  readonly entries: Array<{ seq: number; from: number; content: CallContent }> = [];
  readonly members = new Map<number, { secret: CallSecret; inRoom: boolean; seen: number; seat: string }>();
  readonly timers = new ManualTimers();

  async add(feedId: number): Promise<CallSecret> {
    const secret = await CallSecret.create({
      chatId, self: feedId, timers: this.timers, settleMs: 0,
      others: () => [...this.members].filter(([id, m]) => id !== feedId && m.inRoom).map(([id]) => id),
      seat: (id) => this.members.get(id)?.seat, // R135: what Janus shows as the seat's display
      post: async (entry) => { this.append(feedId, { kind: 'call', callId: `join-${feedId}`, action: 'group_key', ...entry }); },
      changed: () => undefined,
    });
    this.members.set(feedId, { secret, inRoom: true, seen: this.entries.length, seat: await seatTag(secret.pub) });
    this.append(feedId, { kind: 'call', callId: `join-${feedId}`, action: 'group_join', media: 'audio', feedId, pub: secret.pub });
    return secret;
  }

  append(from: number, content: CallContent): void {
    this.entries.push({ seq: this.entries.length + 1, from, content: CallContent.parse(content) });
  }

  /** Delivers every new entry to every participant still in the room, then lets the keyer's timer run; until quiet. */
  async settle(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const before = this.entries.length;
      for (const [id, m] of this.members) {
        if (!m.inRoom) continue;
        for (const e of this.entries.slice(m.seen)) await m.secret.entry(e.seq, e.from === id, e.content, `device-${e.from}`);
        m.seen = this.entries.length;
      }
      this.timers.fire();
      for (const m of this.members.values()) await m.secret.idle;
      if (this.entries.length === before && this.timers.pending === 0) return;
    }
    throw new Error('the keys did not settle');
  }
}

const exporter = (epoch: bigint): CallEpochKey => ({ epoch, leafIndex: 0, leafCount: 4, baseKey: new Uint8Array(16).fill(7) });
const frameKey = async (s: CallSecret) => (await s.source(async () => exporter(3n))(chatId))!;

describe('R120 per-call secret', () => {
  it('R120 the participants share one secret; a leaver who stays in the chat opens none of the later ones, and with its exporter key and old secret derives no later frame key', async () => {
    const log = new Log();
    const a = await log.add(101);
    await log.settle();
    assert.equal(a.gen, 1, 'alone: the first participant keys itself');
    const b = await log.add(205);
    const c = await log.add(150);
    await log.settle();
    const [ka, kb, kc] = [await frameKey(a), await frameKey(b), await frameKey(c)];
    assert.deepEqual(kb.baseKey, ka.baseKey, 'bob has alice\'s frame key');
    assert.deepEqual(kc.baseKey, ka.baseKey, 'carol has alice\'s frame key');
    assert.equal(ka.epoch, 3n + BigInt(a.gen!), 'the frame epoch counts both the MLS epoch and the secret');
    const keyedBy = log.entries.filter((e) => e.content.action === 'group_key').map((e) => e.from);
    assert.ok(keyedBy.every((f) => f === 101), 'only the first to join hands out secrets');

    // Carol leaves the call (not the chat): she still reads the log, but the keyer leaves her out.
    const leaving = log.members.get(150)!;
    leaving.inRoom = false;
    log.append(150, { kind: 'call', callId: 'join-150', action: 'group_leave', feedId: 150 });
    const carolsLast = kc.baseKey;
    const seenByCarol = log.entries.length;
    await log.settle();
    const after = log.entries.slice(seenByCarol).filter((e) => e.content.action === 'group_key');
    assert.equal(after.length, 1, 'one new secret for one leave');
    const entry = after[0]!.content;
    assert.deepEqual(entry.keys!.map((k) => k.feedId).sort(), [101, 205], 'wrapped for the two left in the call');
    const [ka2, kb2] = [await frameKey(a), await frameKey(b)];
    assert.deepEqual(kb2.baseKey, ka2.baseKey, 'alice and bob move together');
    assert.ok(ka2.epoch > ka.epoch);
    assert.notDeepEqual(ka2.baseKey, carolsLast, 'the new frame key is not carol\'s');
    // Carol (who kept her join's private key, the old entries and the exporter) feeds her state the new entry: no new key.
    await c.entry(log.entries.length, false, entry);
    assert.deepEqual((await frameKey(c)).baseKey, carolsLast, 'carol is left with the old key');
    // Nor can she open a copy made for someone else, relabelled with her publisher id.
    for (const w of entry.keys!) await c.entry(log.entries.length, false, CallContent.parse({ ...entry, keys: [{ ...w, feedId: 150 }] }));
    assert.deepEqual((await frameKey(c)).baseKey, carolsLast, 'no copy opens with carol\'s key');
  });

  it('R120 when the keyer leaves, the next by join order hands out the next secret; a newcomer never keys while earlier ones are in the room', async () => {
    const log = new Log();
    const a = await log.add(300);
    await log.settle();
    const b = await log.add(100); // a lower publisher id, later join
    await log.settle();
    assert.deepEqual(log.entries.filter((e) => e.content.action === 'group_key').map((e) => e.from), [300, 300]);
    log.members.get(300)!.inRoom = false;
    a.stop();
    const c = await log.add(200);
    await log.settle();
    const keys = log.entries.filter((e) => e.content.action === 'group_key');
    assert.equal(keys.at(-1)!.from, 100, 'bob keys now');
    assert.deepEqual(keys.at(-1)!.content.keys!.map((k) => k.feedId).sort(), [100, 200]);
    assert.deepEqual((await frameKey(b)).baseKey, (await frameKey(c)).baseKey);
  });

  it('R135 a join naming a present participant\'s seat with another key is wrapped nothing, and its leave does not end the real join', async () => {
    const log = new Log();
    const a = await log.add(101);
    const b = await log.add(205);
    await log.settle();
    // A member outside the call posts joins for Bob's seat with its own key (before and after Bob's own entry).
    const forger = await CallSecret.create({ chatId, self: 205, others: () => [], seat: () => undefined, post: async () => undefined, changed: () => undefined });
    log.append(999, { kind: 'call', callId: 'forged-join-1', action: 'group_join', media: 'audio', feedId: 205, pub: forger.pub });
    log.append(999, { kind: 'call', callId: 'forged-join-2', action: 'group_join', media: 'audio', feedId: 101, pub: forger.pub });
    log.append(999, { kind: 'call', callId: 'join-205', action: 'group_leave', feedId: 205 }); // not the forger's join to end
    const c = await log.add(150); // a real newcomer makes the keyer hand out a new secret
    await log.settle();
    const last = log.entries.filter((e) => e.content.action === 'group_key').at(-1)!.content;
    assert.deepEqual(last.keys!.map((k) => k.feedId).sort(), [101, 150, 205], 'wrapped once per seat');
    for (const e of log.entries) await forger.entry(e.seq, false, e.content, `device-${e.from}`);
    assert.equal(forger.gen, undefined, 'the forger opens no copy');
    const [ka, kb, kc] = [await frameKey(a), await frameKey(b), await frameKey(c)];
    assert.deepEqual(kb.baseKey, ka.baseKey, 'bob (the real seat) has the key');
    assert.deepEqual(kc.baseKey, ka.baseKey);
  });

  it('R120 a frame key needs both the exporter key and the secret', async () => {
    const secret = new Uint8Array(32).fill(1);
    const k = await combineCallKey(new Uint8Array(16).fill(2), secret, 16);
    assert.equal(k.length, 16);
    assert.notDeepEqual(await combineCallKey(new Uint8Array(16).fill(3), secret, 16), k, 'another epoch: another key');
    assert.notDeepEqual(await combineCallKey(new Uint8Array(16).fill(2), new Uint8Array(32).fill(9), 16), k, 'another secret: another key');
  });
});
