import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import type { Bus, BusEvent } from './bus.ts';

/** Two nodes on one fabric. For an in-process bus, `a` and `b` are the same instance. */
export interface BusFixture {
  a: Bus;
  b: Bus;
  /** Resolves once every subscribe, unsubscribe and publish made so far has taken effect on both nodes. */
  sync(): Promise<void>;
  /** How many topics the node holds a subscription for (for NATS: one NATS subscription each). */
  topicCount(node: Bus): number;
  /** Everything both nodes reported to their onError. */
  errors: unknown[];
  close(): Promise<void>;
}

/**
 * The contract of `Bus`, run against every implementation (in-process and NATS).
 * `open` must return two fresh nodes that share one fabric and nothing else; the suite closes them.
 */
export function busSuite(name: string, open: () => Promise<BusFixture>): void {
  describe(`${name}: Bus contract`, { timeout: 10_000 }, () => {
    let f: BusFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.close();
    });

    it('an event published on one node reaches subscribers of that topic on both nodes exactly once', async () => {
      const onA = recorder(f.a, 'chat.chat_one');
      const onB = recorder(f.b, 'chat.chat_one');
      await f.sync();
      await f.a.publish('chat.chat_one', typing(1));
      await f.b.publish('chat.chat_one', typing(2));
      await f.sync();
      // Order between two publishers is not promised; each event arrives once on each node.
      assert.deepEqual(sortTyping(onA.events), [typing(1), typing(2)]);
      assert.deepEqual(sortTyping(onB.events), [typing(1), typing(2)]);
    });

    it('presence: a device connected on the other node is seen from this one; an unknown user has none', async () => {
      f.a.servePresence(() => []);
      f.b.servePresence((userId) => (userId === 'user_present' ? ['dev_present_1', 'dev_present_2'] : []));
      await f.sync();
      assert.deepEqual([...(await f.a.onlineDevices('user_present'))].sort(), ['dev_present_1', 'dev_present_2']);
      assert.deepEqual([...(await f.a.onlineDevices('user_absent'))], []);
      assert.deepEqual(f.errors, []);
    });

    it('a publish with no subscriber anywhere is a no-op', async () => {
      await f.a.publish('chat.nobody_here', typing(1));
      await f.sync();
      assert.deepEqual(f.errors, []);
    });

    it('topics are isolated: a chat.X subscriber gets nothing published on other topics', async () => {
      const x = recorder(f.b, 'chat.chat_xxxx');
      const other = recorder(f.b, 'chat.chat_yyyy');
      await f.sync();
      await f.a.publish('chat.chat_yyyy', typing(1));
      await f.a.publish('user.chat_xxxx', typing(2));
      await f.a.publish('chat.chat_xxxx_more', typing(3));
      await f.a.publish('chat.chat_xxxx.sub', typing(4));
      await f.a.publish('chat.chat_xxxx', typing(5));
      await f.sync();
      assert.deepEqual(x.events, [typing(5)]);
      assert.deepEqual(other.events, [typing(1)]);
    });

    it('unsubscribe stops delivery and the last unsubscribe releases the topic', async () => {
      const first = recorder(f.b, 'chat.chat_unsub');
      const second = recorder(f.b, 'chat.chat_unsub');
      await f.sync();
      assert.equal(f.topicCount(f.b), 1);

      first.unsubscribe();
      await f.sync();
      assert.equal(f.topicCount(f.b), 1);
      await f.a.publish('chat.chat_unsub', typing(1));
      await f.sync();
      assert.deepEqual(first.events, []);
      assert.deepEqual(second.events, [typing(1)]);

      second.unsubscribe();
      second.unsubscribe(); // a second call is harmless
      assert.equal(f.topicCount(f.b), 0);
      await f.sync();
      await f.a.publish('chat.chat_unsub', typing(2));
      await f.sync();
      assert.deepEqual(second.events, [typing(1)]);

      const again = recorder(f.b, 'chat.chat_unsub');
      await f.sync();
      await f.a.publish('chat.chat_unsub', typing(3));
      await f.sync();
      assert.deepEqual(again.events, [typing(3)]);
    });

    it('several handlers on one topic each get the event once', async () => {
      const handlers = [recorder(f.b, 'user.user_many'), recorder(f.b, 'user.user_many'), recorder(f.b, 'user.user_many'), recorder(f.a, 'user.user_many')];
      await f.sync();
      assert.equal(f.topicCount(f.b), 1);
      await f.a.publish('user.user_many', { type: 'device_revoked', deviceId: 'dev_xxxxxx' });
      await f.sync();
      for (const h of handlers) assert.deepEqual(h.events, [{ type: 'device_revoked', deviceId: 'dev_xxxxxx' }]);
    });

    it('events from one publisher on one topic arrive in publish order', async () => {
      const onA = recorder(f.a, 'chat.chat_order');
      const onB = recorder(f.b, 'chat.chat_order');
      await f.sync();
      const sent = Array.from({ length: 500 }, (_, i) => receipt(i + 1));
      for (const event of sent) await f.a.publish('chat.chat_order', event);
      await f.sync();
      assert.deepEqual(onA.events, sent);
      assert.deepEqual(onB.events, sent);
    });

    it('a handler that throws does not stop other handlers, the publisher or the bus', async () => {
      const boom = new Error('handler failed');
      const unsubscribeA = f.a.subscribe('chat.chat_throw', () => {
        throw boom;
      });
      const unsubscribeB = f.b.subscribe('chat.chat_throw', () => {
        throw boom;
      });
      const onA = recorder(f.a, 'chat.chat_throw');
      const onB = recorder(f.b, 'chat.chat_throw');
      await f.sync();
      await f.a.publish('chat.chat_throw', typing(1));
      await f.sync();
      await f.b.publish('chat.chat_throw', typing(2));
      await f.sync();
      assert.deepEqual(sortTyping(onA.events), [typing(1), typing(2)]);
      assert.deepEqual(sortTyping(onB.events), [typing(1), typing(2)]);
      assert.ok(f.errors.length >= 2, 'the throws were reported');
      assert.ok(f.errors.every((e) => e === boom), 'only the throws were reported');
      unsubscribeA();
      unsubscribeB();
    });

    it('every BusEvent variant round-trips deep-equal', async () => {
      const onB = recorder(f.b, 'chat.chat_variants');
      await f.sync();
      for (const event of everyVariant) await f.a.publish('chat.chat_variants', event);
      await f.sync();
      assert.deepEqual(onB.events, everyVariant);
      assert.deepEqual(f.errors, []);
      assert.deepEqual(new Set(everyVariant.map((e) => e.type)), new Set(Object.keys(coveredVariants)));
    });

    it('onResync does not fire while the bus is healthy, and its unsubscribe is harmless', async () => {
      let fired = 0;
      const offA = f.a.onResync(() => fired++);
      const offB = f.b.onResync(() => fired++);
      recorder(f.b, 'chat.chat_resync');
      await f.a.publish('chat.chat_resync', typing(1));
      await f.sync();
      offA();
      offB();
      offB();
      assert.equal(fired, 0);
    });
  });
}

function recorder(bus: Bus, topic: string): { events: BusEvent[]; unsubscribe: () => void } {
  const events: BusEvent[] = [];
  const unsubscribe = bus.subscribe(topic, (event) => events.push(event));
  return { events, unsubscribe };
}

const typing = (n: number): BusEvent => ({ type: 'typing', chatId: 'chat_xxxxx', userId: `user_${String(n).padStart(5, '0')}` });
const sortTyping = (events: BusEvent[]): BusEvent[] =>
  [...events].sort((x, y) => (x.type === 'typing' && y.type === 'typing' ? x.userId.localeCompare(y.userId) : 0));
const receipt = (upToSeq: number): BusEvent => ({ type: 'receipt', chatId: 'chat_order', userId: 'user_alice', kind: 'read', upToSeq });

const base = { chatId: 'chat_variants', senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: 1_700_000_000_000 };
const withEnvelope: Message = {
  ...base, seq: 7, clientMsgId: 'client_msg_1',
  envelope: { contentType: 'application/octet-stream', payload: Buffer.from([0, 255, 7, 128]).toString('base64') },
  system: null,
};
const withSystem: Message = { ...base, seq: 8, clientMsgId: 'client_msg_2', envelope: null, system: { kind: 'role_changed', userId: 'user_bob_1', role: 'admin' } };
const created: Message = { ...base, seq: 1, clientMsgId: 'created_', envelope: null, system: { kind: 'created', name: 'Ünïcødé 💬 "quoted"' } };

const everyVariant: BusEvent[] = [
  { type: 'message', message: withEnvelope },
  { type: 'message', message: withSystem },
  { type: 'message', message: created },
  { type: 'receipt', chatId: 'chat_variants', userId: 'user_bob_1', kind: 'delivered', upToSeq: 7 },
  { type: 'receipt', chatId: 'chat_variants', userId: 'user_bob_1', kind: 'read', upToSeq: 8 },
  { type: 'typing', chatId: 'chat_variants', userId: 'user_bob_1' },
  { type: 'chat_changed', chatId: 'chat_variants' },
  { type: 'members_changed', chatId: 'chat_variants', added: ['user_bob_1'], removed: ['user_carol_1'], lastSeq: 9, digest: '2:00000000ffffffff' },
  { type: 'chat_removed', chatId: 'chat_variants', userId: 'user_bob_1' },
  { type: 'device_revoked', deviceId: 'dev_bob_123' },
  { type: 'device_link_request', link: { linkId: 'link_variants', deviceName: 'new phone', requestedAt: 1, expiresAt: 2, attemptsLeft: 5 } },
  { type: 'device_link_closed', linkId: 'link_variants', status: 'approved' },
  { type: 'device_added', device: { deviceId: 'dev_bob_456', name: 'new phone', createdAt: 3 } },
  { type: 'rejoin_requested', chatId: 'chat_variants', userId: 'user_bob_1', deviceId: 'dev_bob_123' },
  { type: 'chat_request', request: { requestId: 'req_variants', chatId: 'chat_variants', kind: 'group', from: { userId: 'user_bob_1', handle: 'bob', displayName: 'Bob' }, memberCount: 3, requestedAt: 4 } },
  { type: 'chat_request_closed', requestId: 'req_variants' },
  { type: 'upload_release', blobId: 'AAAAAAAAAAAAAAAAAAAAAA', holder: 'holder-1' },
  { type: 'community_changed', communityId: 'comm_variants' },
  { type: 'community_removed', communityId: 'comm_variants', userId: 'user_bob_1' },
  { type: 'community_report', communityId: 'comm_variants', reportId: 'rep_variants' },
  { type: 'channel_post', channelId: 'chan_variants', seq: 12 },
  { type: 'channel_subscription', channelId: 'chan_variants', subscribed: true },
  { type: 'channel_admin', channelId: 'chan_variants' },
  { type: 'wrapped_post', communityId: 'comm_variants', seq: 3 },
  { type: 'wrapped_post', communityId: 'comm_variants', seq: 4, info: true },
  { type: 'wrapped_post', communityId: 'comm_variants', seq: 5, deleted: true },
  { type: 'wrapped_post', communityId: 'comm_variants', seq: 6, edit: true },
  { type: 'wrapped_votes', communityId: 'comm_variants', seq: 7 },
  { type: 'wrapped_joined', communityId: 'comm_variants' },
  { type: 'wrapped_keys', communityId: 'comm_variants', epoch: 2 },
  { type: 'wraps_needed', communityId: 'comm_variants' },
  { type: 'community_join_request', communityId: 'comm_variants', requestId: 'jr_variants', status: 'approved' },
];

/** Fails the build when a BusEvent variant is added without a case above. */
const coveredVariants: { [K in BusEvent['type']]: true } = {
  message: true, receipt: true, typing: true, chat_changed: true, members_changed: true, chat_removed: true, device_revoked: true,
  device_link_request: true, device_link_closed: true, device_added: true, rejoin_requested: true, chat_request: true, chat_request_closed: true,
  upload_release: true, community_changed: true, community_removed: true, community_report: true, community_join_request: true,
  channel_post: true, channel_subscription: true, channel_admin: true, wrapped_post: true, wrapped_votes: true, wrapped_joined: true, wrapped_keys: true, wraps_needed: true,
};
