import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IdMap } from './id-map.ts';
import { UpdateQueue } from './updates.ts';

const msg = (id: number) => ({ update_id: id, message: { text: `m${id}` } });

describe('getUpdates queue (R94)', () => {
  it('keeps at most its limit, dropping the oldest and counting them', async () => {
    const q = new UpdateQueue(3);
    for (let i = 1; i <= 5; i++) q.push(msg(i));
    assert.equal(q.dropped, 2);
    assert.deepEqual((await q.take({ limit: 100, timeoutSec: 0 })).map((u) => u.update_id), [3, 4, 5]);
  });

  it('an offset confirms the updates before it; limit and allowed_updates are honoured, the choice kept', async () => {
    const q = new UpdateQueue(100);
    q.push(msg(1));
    q.push({ update_id: 2, callback_query: { id: 'q' } });
    q.push(msg(3));
    assert.deepEqual((await q.take({ offset: 2, limit: 1, timeoutSec: 0 })).map((u) => u.update_id), [2]);
    assert.deepEqual((await q.take({ limit: 10, timeoutSec: 0, allowed: ['message'] })).map((u) => u.update_id), [3]);
    q.push({ update_id: 4, callback_query: { id: 'r' } });
    assert.deepEqual((await q.take({ offset: 4, limit: 10, timeoutSec: 0 })).map((u) => u.update_id), [], 'callback queries stay filtered out');
  });

  it('a long poll answers as soon as an update comes', async () => {
    const q = new UpdateQueue(10);
    const polled = q.take({ limit: 10, timeoutSec: 30 });
    setTimeout(() => q.push(msg(7)), 20);
    assert.deepEqual((await polled).map((u) => u.update_id), [7]);
  });
});

describe('integer ids (R94)', () => {
  it('the same Parley id gets the same integer after a restart; groups are negative; update ids only grow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ids-'));
    try {
      const a = new IdMap(join(dir, 'ids.json'));
      const user = a.int('user', 'user_abcdefgh');
      const group = a.int('chat', 'chat_group01', true);
      const msgId = a.int('message', 'chat_group01/msg_0001');
      assert.ok(user > 0 && group < 0);
      assert.equal(a.int('user', 'user_abcdefgh'), user);
      const u1 = a.nextUpdateId();
      a.flush();
      const b = new IdMap(join(dir, 'ids.json'));
      assert.equal(b.int('user', 'user_abcdefgh'), user);
      assert.equal(b.parley('chat', group), 'chat_group01');
      assert.equal(b.parley('message', msgId), 'chat_group01/msg_0001');
      assert.equal(b.parley('user', 999), undefined);
      assert.ok(b.nextUpdateId() > u1);
      assert.notEqual(b.int('user', 'user_other01'), user);
      b.flush();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a crash keeps every id handed out: the journal is replayed (a torn last line skipped) and update ids still only grow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ids-'));
    try {
      const a = new IdMap(join(dir, 'ids.json'));
      const ids = Array.from({ length: 50 }, (_, i) => a.int('message', `chat_direct01/msg_${i}`));
      const lastUpdate = Array.from({ length: 1500 }, () => a.nextUpdateId()).at(-1)!;
      appendFileSync(join(dir, 'ids.json.log'), '["message:chat_direct01/msg_torn",');
      // no flush: the process died here
      const b = new IdMap(join(dir, 'ids.json'));
      assert.deepEqual(Array.from({ length: 50 }, (_, i) => b.parley('message', ids[i]!)), Array.from({ length: 50 }, (_, i) => `chat_direct01/msg_${i}`));
      assert.ok(!ids.includes(b.int('message', 'chat_direct01/msg_new')), 'a new message gets a new integer');
      assert.ok(b.nextUpdateId() > lastUpdate);
      b.flush();
      assert.equal(existsSync(join(dir, 'ids.json.log')), false, 'flushed into the snapshot');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
