import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Content, Envelope, ServerFrameOf } from '@parley/protocol';
import { CodecNotReady, CodecWaiting, type ContentCodec } from './codec.ts';
import { HELD_RECHECK_MS, NOT_READY_RETRY_MS, Outbox, type OutboxDeps } from './outbox.ts';
import { MemoryStore } from './stores/memory-store.ts';

const text = (t: string): Content => ({ kind: 'text', text: t });
const plain: Envelope = { contentType: 'parley/plain+json', payload: '' };
const settle = async () => { for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r)); };

/** An outbox over `encode`, its timers mocked: nothing waits on the wall clock. What it sent, per chat, in `sent`. */
function outboxWith(t: TestContext, encode: ContentCodec['encode'], deps: Partial<OutboxDeps> = {}) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent: string[] = [];
  let seq = 0;
  const outbox: Outbox = new Outbox({
    userId: 'ann', deviceId: 'ann_phone', store: new MemoryStore(), online: () => true,
    codec: { encode, decodeBatch: async () => ({ decoded: [], groups: new Map() }) },
    send: async (item) => {
      sent.push(`${item.chatId}:${(item.content as { text: string }).text}`);
      return { type: 'ack', rid: 'r1', seq: ++seq, sentAt: 0 } as ServerFrameOf<'ack'>;
    },
    receive: (m) => outbox.acked(m.chatId, new Set([m.clientMsgId])),
    prev: () => undefined, changed: () => undefined, notReady: () => undefined, held: () => undefined, onError: (e) => { throw e; },
    ...deps,
  });
  return { outbox, sent, tick: async (ms: number) => { t.mock.timers.tick(ms); await settle(); } };
}

test('a held message whose chat changed during its try goes at once, though another chat used up its quick retries (per-chat, no lost wake-up)', async (t) => {
  // Chat A's tries change chat A each time (three quick retries in a row), then it goes. Chat B's message
  // is judged before what it waits for arrives; that arrives (and says so) while the try still runs.
  let aTries = 0;
  let bReady = false;
  const { outbox, sent, tick } = outboxWith(t, async (chatId) => {
    if (chatId === 'chat_a') {
      if (++aTries > 3) return plain;
      outbox.chatChanged('chat_a');
      throw new CodecWaiting('A waits for its log');
    }
    const judged = bReady;
    bReady = true;
    outbox.chatChanged('chat_b'); // the statement B waits for is applied meanwhile
    if (!judged) throw new CodecWaiting('B waits for its log', HELD_RECHECK_MS);
    return plain;
  });
  await outbox.add('chat_a', text('a1'));
  await settle();
  assert.equal(aTries, 4, 'A: a first try, three quick retries (the last one went)');
  assert.deepEqual(sent, ['chat_a:a1']);
  await outbox.add('chat_b', text('b1'));
  await settle();
  assert.deepEqual(sent, ['chat_a:a1', 'chat_b:b1'], 'B went at once, not at its 30 s deadline');
  assert.equal(outbox.items().length, 0);
  await tick(HELD_RECHECK_MS); // nothing was left waiting for it
  assert.deepEqual(sent, ['chat_a:a1', 'chat_b:b1']);
});

test('a change of another chat neither wakes a held message nor spends its quick retries; every chat\'s change does wake it', async (t) => {
  let bTries = 0;
  let bReady = false;
  const { outbox, sent, tick } = outboxWith(t, async (chatId) => {
    if (chatId === 'chat_a') return plain;
    bTries += 1;
    outbox.chatChanged('chat_a'); // chat A moves while B is judged
    if (!bReady) throw new CodecWaiting('B waits for its log', HELD_RECHECK_MS);
    return plain;
  });
  await outbox.add('chat_b', text('b1'));
  await settle();
  assert.equal(bTries, 1, 'chat A\'s change during B\'s try is not B\'s: no quick retry');
  outbox.chatChanged('chat_a');
  await outbox.add('chat_a', text('a1'));
  await settle();
  assert.equal(bTries, 1, 'chat A\'s changes did not make B try again');
  await tick(HELD_RECHECK_MS / 2);
  assert.equal(bTries, 1);
  bReady = true;
  outbox.chatChanged();
  await settle();
  assert.deepEqual(sent, ['chat_a:a1', 'chat_b:b1']);
});

test('a message the codec can\'t encode yet is tried each second but asks for its group check on the 1st, 2nd, 4th … try (then every 32nd); a commit wakes it at once', async (t) => {
  let ready = false;
  let tries = 0;
  const checks: string[] = [];
  const { outbox, sent, tick } = outboxWith(t, async () => {
    tries += 1;
    if (!ready) throw new CodecNotReady('not in the group yet');
    return plain;
  }, { notReady: (chatId) => { checks.push(chatId); } });
  await outbox.add('chat_c', text('c1'));
  await settle();
  for (let i = 1; i < 100; i++) await tick(NOT_READY_RETRY_MS);
  assert.equal(tries, 100, 'tried once a second');
  assert.equal(checks.length, 8, 'checks asked on tries 1, 2, 4, 8, 16, 32, 64, 96 (not 100)');
  assert.deepEqual(new Set(checks), new Set(['chat_c']));

  // The chat's group moved (a commit or welcome applied): tried at once, no tick.
  outbox.retry('chat_c');
  await settle();
  assert.equal(tries, 101);
  ready = true;
  outbox.retry('chat_c');
  await settle();
  assert.deepEqual(sent, ['chat_c:c1']);

  // Sent: the next message that has to wait asks for a check on its first try again.
  ready = false;
  await outbox.add('chat_c', text('c2'));
  await settle();
  assert.equal(checks.length, 9);
  await tick(NOT_READY_RETRY_MS);
  assert.equal(checks.length, 10);
});

test('R69 R82 an automatic post queued before its chat went into slow mode is dropped when its turn comes: the person\'s message after it keeps the slot', async (t) => {
  let slowMode = false;
  let groupReady = false;
  const { outbox, sent } = outboxWith(t, async () => {
    if (!groupReady) throw new CodecNotReady('not in the group yet');
    return plain;
  }, { mayAutoPost: () => !slowMode });
  await outbox.add('chat_g', text('key-log heads'), { auto: true }); // queued while automatic posts may go
  await settle();
  slowMode = true; // meanwhile the chat went into slow mode
  await outbox.add('chat_g', text('First in slow mode'));
  groupReady = true;
  outbox.retry('chat_g');
  await settle();
  assert.deepEqual(sent, ['chat_g:First in slow mode'], 'the automatic post was not sent before it');
  assert.equal(outbox.items().length, 0);
  slowMode = false;
  await outbox.add('chat_g', text('more heads'), { auto: true });
  await settle();
  assert.deepEqual(sent, ['chat_g:First in slow mode', 'chat_g:more heads'], 'where it may go, it goes');
});
