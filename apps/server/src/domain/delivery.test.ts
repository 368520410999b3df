import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import type { HistoryQuery } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import { Delivery, type DeliveryDeps } from './delivery.ts';

const MAX_ENVELOPE = 64 * 1024;
const BUFFER = 1024 * 1024;
const auth = { userId: 'user_aaaaaaaa', deviceId: 'dev_aaaaaaaa' } as AuthContext;

/** A chat's log of `n` messages whose payloads are `payloadChars` long, and the rows each history read cost. */
function delivery(n: number, payloadChars: number): { d: Delivery; rowsRead: () => number; reads: () => number } {
  const log: Message[] = Array.from({ length: n }, (_, i) => ({
    chatId: 'chat_aaaaaaaa', seq: i + 1, clientMsgId: `client_${i + 1000}`, senderUserId: 'user_bbbbbbbb', senderDeviceId: 'dev_bbbbbbbb',
    sentAt: i, envelope: { contentType: 'application/octet-stream', payload: 'A'.repeat(payloadChars) }, system: null,
  }));
  let rows = 0;
  let reads = 0;
  const storage = {
    async getMessages(_chatId: string, q: HistoryQuery): Promise<Message[]> {
      reads++;
      const page = q.beforeSeq !== undefined
        ? log.filter((m) => m.seq < q.beforeSeq! && m.seq > (q.afterSeq ?? 0)).slice(-q.limit)
        : log.filter((m) => m.seq > (q.afterSeq ?? 0)).slice(0, q.limit);
      rows += page.length;
      return page;
    },
  };
  const deps = {
    storage,
    chats: { requireMember: async () => undefined },
    limiter: { take: async () => undefined },
    limits: { maxEnvelopeBytes: MAX_ENVELOPE, maxCommitBytes: 512 * 1024, historyPageMax: 500, wsBufferBytes: BUFFER },
    rates: { historyPerSec: 0, historyBurst: 0 },
  } as unknown as DeliveryDeps;
  return { d: new Delivery(deps), rowsRead: () => rows, reads: () => reads };
}

describe('Delivery.history reads (R40)', () => {
  it('R40 a page of maximum-size messages reads the rows that fit half the send buffer and one more, not a chunk of 16', async () => {
    const { d, rowsRead } = delivery(40, MAX_ENVELOPE - 'application/octet-stream'.length);
    const page = await d.history(auth, { chatId: 'chat_aaaaaaaa', afterSeq: 0, limit: 500 });
    assert.equal(page.messages.length, 7);
    assert.equal(page.hasMore, true);
    assert.deepEqual(page.messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(rowsRead() <= page.messages.length + 1, `${rowsRead()} rows read for ${page.messages.length}`);
    const older = await d.history(auth, { chatId: 'chat_aaaaaaaa', beforeSeq: 41, limit: 500 });
    assert.deepEqual(older.messages.map((m) => m.seq), [34, 35, 36, 37, 38, 39, 40]);
    assert.equal(older.hasMore, true);
  });

  it('R40 small messages still come in pages of the limit, read in chunks that grow', async () => {
    const { d, reads, rowsRead } = delivery(600, 100);
    const page = await d.history(auth, { chatId: 'chat_aaaaaaaa', afterSeq: 0, limit: 500 });
    assert.equal(page.messages.length, 500);
    assert.equal(page.hasMore, true);
    assert.ok(reads() <= 7, `${reads()} reads`);
    assert.equal(rowsRead(), 501);
    const last = await d.history(auth, { chatId: 'chat_aaaaaaaa', afterSeq: 500, limit: 500 });
    assert.deepEqual([last.messages.length, last.hasMore], [100, false]);
  });
});
