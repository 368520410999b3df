import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Content, KEY_LOG_GENESIS_HASH, PLAIN_CONTENT_TYPE, type ChatSummary, type KeyLogEntry, type KeyLogHeadOf } from '@parley/protocol';
import { MLS_APP_CONTENT_TYPE } from '../e2ee/envelopes.ts';
import type { DecodedEnvelope, StoredMessage } from '../store.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import { KeyLogError } from './errors.ts';
import { judgeHead, KeyLogHeadGossip, type KeyLogHeadsOptions } from './head-gossip.ts';
import { OwnKeyLogMonitor, type KeyLogAlert, type KeyLogSplitAlert } from './own-log-monitor.ts';

/** The key-log head comparison of docs/PROTOCOL.md R33, against fakes of the key directory, the MLS group and the chat. */

const CHAT = 'chat_heads';
const BOB = 'user_bob';
const CAROL = 'user_carol';
const DAVE = 'user_dave';
const ERIN = 'user_erin';
const ME = { userId: BOB, deviceId: 'dev_bob' };
const CAROL_PHONE = { userId: CAROL, deviceId: 'dev_carol' };
const DAVE_PHONE = { userId: DAVE, deviceId: 'dev_dave' };

/**
 * A user's log of `n` entries. Entries from `forkAt` on belong to another history (`tag`): the same
 * indices, other hashes, as a server showing two people two versions would serve them.
 */
function history(userId: string, n: number, fork?: { at: number; tag: string }): KeyLogEntry[] {
  const log: KeyLogEntry[] = [];
  for (let index = 1; index <= n; index++) {
    const tag = fork && index >= fork.at ? fork.tag : 'honest';
    const prevHash = log.at(-1)?.hash ?? KEY_LOG_GENESIS_HASH;
    const hash = createHash('sha256').update(`${userId}:${index}:${tag}:${prevHash}`).digest('hex');
    log.push({ index, kind: 'add', deviceId: `dev_${index}`, mlsSignatureKey: createHash('sha256').update(`${tag}${index}`).digest('base64'), at: index, prevHash, hash });
  }
  return log;
}

const headOf = (userId: string, log: readonly KeyLogEntry[]): KeyLogHeadOf => {
  const last = log.at(-1);
  assert.ok(last);
  return { userId, index: last.index, hash: last.hash };
};

/** Bob's device: what it verified, what the server would show it next, its group, chat, store and alerts. */
class World {
  now = 1_700_000_000_000;
  /** The logs Bob's device verified. */
  readonly views = new Map<string, KeyLogEntry[]>();
  /** What the server serves Bob's device on the next fetch. */
  readonly server = new Map<string, KeyLogEntry[]>();
  readonly fetches: string[] = [];
  group = [ME, CAROL_PHONE, DAVE_PHONE];
  members = [BOB, CAROL, DAVE];
  readonly posted: Content[] = [];
  readonly store = new MemoryStore();
  readonly monitor = new OwnKeyLogMonitor({
    userId: BOB, deviceId: ME.deviceId, store: { get: (k) => this.store.getMeta(k), set: (k, v) => this.store.setMeta(k, v) },
    log: async () => [], devices: async () => [], online: () => false, onAlert: (a) => this.raised.push(a), onChange: () => undefined, onError: (e) => { throw e; },
  });
  readonly raised: KeyLogAlert[] = [];
  seq = 10;
  readonly gossip: KeyLogHeadGossip;

  constructor(options: KeyLogHeadsOptions = {}) {
    this.gossip = new KeyLogHeadGossip({
      userId: ME.userId, deviceId: ME.deviceId, store: this.store,
      keys: {
        verified: async (userId) => this.views.get(userId) ?? [],
        log: async (userId) => {
          this.fetches.push(userId);
          const seen = this.views.get(userId) ?? [];
          const served = this.server.get(userId) ?? seen;
          // As KeyDirectory does (R22): only a log that extends what was seen is taken.
          if (served.length < seen.length || seen.some((e, i) => served[i]?.hash !== e.hash)) throw new KeyLogError('key_log_forked', userId);
          this.views.set(userId, served);
          return served;
        },
      },
      mls: { members: async () => this.group, status: async () => 'ready' },
      chat: (chatId) => (chatId === CHAT ? this.chat() : undefined),
      chats: () => [this.chat()],
      post: async (_chatId, content) => {
        this.posted.push(Content.parse(content));
        return `m${this.posted.length}`;
      },
      online: () => true,
      now: () => this.now,
      onSplit: (alert) => this.monitor.report(alert),
      onError: (e) => { throw e; },
      // Timers never fire on their own here: the tests call tell and recheck.
      options: { settleMs: 1e9, graceMs: 60_000, minIntervalMs: 300_000, ...options },
    });
  }

  chat(): ChatSummary {
    return {
      chatId: CHAT, kind: 'group', name: '', color: '0', lastSeq: this.seq, unread: 0, createdAt: 0, mlsEpoch: 1,
      members: this.members.map((userId) => ({ userId, handle: userId.slice(5), displayName: userId.slice(5).toUpperCase(), role: 'member' as const, deliveredSeq: 0, readSeq: 0 })),
    };
  }

  /** A message of the chat's log, decoded as the codec would have. */
  message(from: { userId: string; deviceId: string }, decoded: DecodedEnvelope, contentType = MLS_APP_CONTENT_TYPE): StoredMessage {
    this.seq++;
    return { chatId: CHAT, seq: this.seq, clientMsgId: `c${this.seq}`, senderUserId: from.userId, senderDeviceId: from.deviceId, sentAt: this.now, envelope: { contentType, payload: '' }, system: null, decoded };
  }

  heads(from: { userId: string; deviceId: string }, heads: KeyLogHeadOf[], extra: Partial<Extract<DecodedEnvelope, { kind: 'content' }>> = {}, contentType?: string): StoredMessage {
    return this.message(from, { kind: 'content', content: { kind: 'key_log_heads', heads }, ...extra }, contentType);
  }

  /** Decodes a batch and waits until it was taken in (the gossip works in the background). */
  async receive(...messages: StoredMessage[]): Promise<void> {
    this.gossip.afterDecode(CHAT, messages);
    await this.gossip.recheck(CHAT);
  }

  splits(): KeyLogSplitAlert[] {
    return this.monitor.alerts().filter((a): a is KeyLogSplitAlert => a.kind === 'key_log_split');
  }

  toldHeads(): KeyLogHeadOf[] {
    return this.posted.flatMap((c) => (c.kind === 'key_log_heads' ? c.heads : []));
  }
}

describe('R33 key-log heads compared between a chat\'s devices', () => {
  test('R33 judgeHead: the same hash at that index is same, another hash differs, past this device\'s head is ahead', () => {
    const log = history(DAVE, 3);
    const fork = history(DAVE, 3, { at: 2, tag: 'fork' });
    assert.equal(judgeHead(log, headOf(DAVE, log)), 'same');
    assert.equal(judgeHead(log, headOf(DAVE, log.slice(0, 1))), 'same', 'an older head of the same history');
    assert.equal(judgeHead(log, headOf(DAVE, fork)), 'differs');
    assert.equal(judgeHead(log, headOf(DAVE, fork.slice(0, 2))), 'differs', 'an older head of another history');
    assert.equal(judgeHead(log.slice(0, 2), headOf(DAVE, log)), 'ahead');
    assert.equal(judgeHead([], headOf(DAVE, log)), 'ahead');
  });

  test('R33 a head equal to this device\'s raises nothing; another hash at the same index is key_log_split, once per (user, index), naming the user and the sender', async () => {
    const w = new World();
    w.views.set(DAVE, history(DAVE, 3));
    w.views.set(BOB, history(BOB, 1));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3)), headOf(BOB, history(BOB, 1))]));
    assert.deepEqual(w.splits(), []);
    assert.deepEqual(w.fetches, [], 'nothing to fetch when the heads agree');

    const forked = history(DAVE, 3, { at: 3, tag: 'ghost' });
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, forked)]));
    const [alert, ...more] = w.splits();
    assert.deepEqual(more, []);
    assert.deepEqual(
      alert && [alert.id, alert.reason, alert.userId, alert.userName, alert.index, alert.senderUserId, alert.senderDeviceId, alert.senderName, alert.chatId],
      [`key_log_split:${DAVE}:3`, 'hash_differs', DAVE, 'DAVE', 3, CAROL, CAROL_PHONE.deviceId, 'CAROL', CHAT],
    );
    // The same disagreement again, and from Dave's own device: still one alert, raised once.
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, forked)]), w.heads(DAVE_PHONE, [headOf(DAVE, forked)]));
    assert.equal(w.splits().length, 1);
    assert.equal(w.raised.length, 1);
    assert.deepEqual(w.views.get(DAVE), history(DAVE, 3), 'a head never changes what this device verified');
  });

  test('R33 this device saw further: the sender\'s head must equal this device\'s entry at that index', async () => {
    const w = new World();
    w.views.set(DAVE, history(DAVE, 5));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3))]));
    assert.deepEqual(w.splits(), []);
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3, { at: 2, tag: 'fork' }))]));
    assert.deepEqual(w.splits().map((a) => [a.index, a.reason]), [[3, 'hash_differs']]);
    assert.deepEqual(w.fetches, []);
  });

  test('R33 the sender saw further: this device fetches the log; the same entry there is no alert, another hash at that index is key_log_split', async () => {
    const w = new World();
    w.views.set(DAVE, history(DAVE, 2));
    w.server.set(DAVE, history(DAVE, 4));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3))]));
    assert.deepEqual(w.fetches, [DAVE]);
    assert.deepEqual(w.splits(), []);
    assert.equal(w.views.get(DAVE)?.length, 4, 'the fetched log is the verified one now');

    // Carol was shown a fork from entry 5 on; the server shows Bob's device another entry 5.
    w.server.set(DAVE, history(DAVE, 6));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 5, { at: 5, tag: 'ghost' }))]));
    assert.deepEqual(w.splits().map((a) => [a.userId, a.index, a.reason]), [[DAVE, 5, 'hash_differs']]);
  });

  test('R33 the sender saw further than the server will show this device: key_log_split (unreached) once the grace period is over, not before; a log that no longer extends what it saw counts as not reached', async () => {
    const w = new World({ graceMs: 60_000 });
    w.views.set(DAVE, history(DAVE, 2));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 4))]));
    assert.deepEqual(w.fetches, [DAVE], 'fetched once at once');
    w.now += 30_000;
    await w.gossip.recheck(CHAT);
    assert.deepEqual(w.fetches, [DAVE], 'within the grace period it waits');
    assert.deepEqual(w.splits(), []);
    // The server catches up in time: no alarm.
    w.server.set(DAVE, history(DAVE, 4));
    w.now += 30_000;
    await w.gossip.recheck(CHAT);
    assert.deepEqual(w.splits(), []);

    // Erin's device claims more than the server ever shows Bob, and the server forks what Bob saw.
    w.members.push(ERIN);
    const erinPhone = { userId: ERIN, deviceId: 'dev_erin' };
    w.group.push(erinPhone);
    w.server.set(DAVE, history(DAVE, 9, { at: 3, tag: 'fork' }));
    await w.receive(w.heads(erinPhone, [headOf(DAVE, history(DAVE, 7))]));
    w.now += 59_000;
    await w.gossip.recheck(CHAT);
    assert.deepEqual(w.splits(), []);
    w.now += 1000;
    await w.gossip.recheck(CHAT);
    assert.deepEqual(w.splits().map((a) => [a.id, a.reason, a.senderUserId]), [[`key_log_split:${DAVE}:4`, 'unreached', ERIN]]);
    // Higher and higher claims from there are the same disagreement: no new alert.
    await w.receive(w.heads(erinPhone, [headOf(DAVE, history(DAVE, 8))]));
    w.now += 60_000;
    await w.gossip.recheck(CHAT);
    assert.equal(w.splits().length, 1);
    assert.equal(w.views.get(DAVE)?.length, 4, 'the forked log was never taken');
  });

  test('R33 heads count only from another device in the group, of a chat member, end-to-end encrypted and said by it, about the chat\'s members', async () => {
    const w = new World();
    const fork = history(DAVE, 2, { at: 2, tag: 'lie' });
    w.views.set(DAVE, history(DAVE, 2));
    w.views.set(ERIN, history(ERIN, 2));
    const outsider = { userId: ERIN, deviceId: 'dev_erin' };
    const removedDevice = { userId: CAROL, deviceId: 'dev_carol_old' };
    await w.receive(
      w.heads(CAROL_PHONE, [headOf(DAVE, fork)], { unencrypted: true }, PLAIN_CONTENT_TYPE),
      w.heads(CAROL_PHONE, [headOf(DAVE, fork)], {}, PLAIN_CONTENT_TYPE),
      w.heads(CAROL_PHONE, [headOf(DAVE, fork)], { shared: true }),
      w.heads(CAROL_PHONE, [headOf(DAVE, fork)], { resent: true }),
      w.heads(outsider, [headOf(DAVE, fork)]),
      w.heads(removedDevice, [headOf(DAVE, fork)]),
      w.heads(ME, [headOf(DAVE, fork)]),
      w.heads(CAROL_PHONE, [headOf(ERIN, history(ERIN, 2, { at: 1, tag: 'lie' }))]),
    );
    assert.deepEqual(w.splits(), []);
    // Erin is in the group (a device) but not a member of the chat: still not listened to.
    w.group.push(outsider);
    await w.receive(w.heads(outsider, [headOf(DAVE, fork)]));
    assert.deepEqual(w.splits(), []);
    // A page scrolled back to, holding an older claim, is not taken in again either.
    const old = w.heads(CAROL_PHONE, [headOf(DAVE, fork)]);
    old.seq = 1;
    await w.receive(old);
    assert.deepEqual(w.splits(), []);
  });

  test('R33 telling: the heads that changed since the chat heard them; quiet when another device said the same; within minIntervalMs later; again after a commit adds devices; never alone in the group', async () => {
    const w = new World({ minIntervalMs: 300_000 });
    w.views.set(BOB, history(BOB, 1));
    w.views.set(DAVE, history(DAVE, 2));
    await w.gossip.tell(CHAT);
    assert.deepEqual(w.toldHeads(), [headOf(BOB, history(BOB, 1)), headOf(DAVE, history(DAVE, 2))], 'each member whose log it verified, itself included; not Carol, whose log it never fetched');
    await w.gossip.tell(CHAT);
    assert.equal(w.posted.length, 1, 'nothing changed: nothing told');

    // Its own change, within the interval of its last telling: it waits.
    w.views.set(BOB, history(BOB, 2));
    w.now += 200_000;
    await w.gossip.tell(CHAT);
    assert.equal(w.posted.length, 1);
    w.now += 100_000;
    await w.gossip.tell(CHAT);
    assert.deepEqual(w.posted.at(-1), { kind: 'key_log_heads', heads: [headOf(BOB, history(BOB, 2))] });

    // Carol's device says Dave's new head first: Bob's device, seeing the same, stays quiet.
    w.views.set(DAVE, history(DAVE, 3));
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3))]));
    w.now += 300_000;
    await w.gossip.tell(CHAT);
    assert.equal(w.posted.length, 2);

    // A commit adds a device: what was said before it is news to the new device.
    await w.receive(w.message(DAVE_PHONE, { kind: 'handshake', epoch: 2, added: [`${DAVE}:dev_dave2`], removed: [] }));
    w.now += 300_000;
    await w.gossip.tell(CHAT);
    assert.deepEqual(w.posted.at(-1), { kind: 'key_log_heads', heads: [headOf(BOB, history(BOB, 2)), headOf(DAVE, history(DAVE, 3))] });

    // After disagreeing with a sender, it says its view again so the sender finds out too.
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 3, { at: 3, tag: 'ghost' }))]));
    w.now += 300_000;
    await w.gossip.tell(CHAT);
    assert.deepEqual(w.posted.at(-1), { kind: 'key_log_heads', heads: [headOf(DAVE, history(DAVE, 3))] });

    // Alone in its group there is nobody to tell.
    const alone = new World();
    alone.group = [ME];
    alone.views.set(BOB, history(BOB, 1));
    await alone.gossip.tell(CHAT);
    assert.deepEqual(alone.posted, []);
    w.gossip.stop();
    alone.gossip.stop();
  });

  test('R33 state survives a restart: what was told and claims waiting for the grace period', async () => {
    const w = new World();
    w.views.set(DAVE, history(DAVE, 2));
    await w.gossip.tell(CHAT);
    await w.receive(w.heads(CAROL_PHONE, [headOf(DAVE, history(DAVE, 4))]));
    w.gossip.stop();
    // Same store, new gossip (the app restarted): nothing to tell, and the claim still times out.
    const again = new KeyLogHeadGossip({
      userId: ME.userId, deviceId: ME.deviceId, store: w.store,
      keys: { verified: async (u) => w.views.get(u) ?? [], log: async (u) => w.views.get(u) ?? [] },
      mls: { members: async () => w.group, status: async () => 'ready' },
      chat: () => w.chat(), chats: () => [w.chat()],
      post: async (_c, content) => { w.posted.push(content); return 'x'; },
      online: () => true, now: () => w.now, onSplit: (a) => w.monitor.report(a), onError: (e) => { throw e; },
      options: { settleMs: 1e9, graceMs: 60_000 },
    });
    await again.tell(CHAT);
    assert.equal(w.posted.length, 1);
    w.now += 60_000;
    await again.recheck(CHAT);
    assert.deepEqual(w.splits().map((a) => [a.index, a.reason]), [[2, 'unreached']]);
    again.stop();
  });
});
