import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes } from '@parley/protocol';
import { loadMigrations, type Migration } from '../migrate.ts';
import type { AppendRequest } from '../storage.ts';
import { storageSuite } from '../storage.suite.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { freshDatabases } from '@parley/testing/postgres';
import { migratedDatabases } from './migrated-databases.ts';

/**
 * Runs against a real PostgreSQL server (PARLEY_TEST_PG_URL, default the local one). Every opened
 * storage gets a database of its own, created here and dropped when the file is done: a copy of one
 * migrated once (migratedDatabase), or an empty one where the test is about migrating.
 */
const freshDatabase = freshDatabases('parley_t');
const migratedDatabase = migratedDatabases('parley_t');

storageSuite('PostgresStorage', async () => PostgresStorage.open(await migratedDatabase()));

const T0 = 1_700_000_000_000;
const clock = { now: () => T0 };
const latest = loadMigrations('postgres');
const extra: Migration = {
  version: latest.length + 1,
  name: `${String(latest.length + 1).padStart(3, '0')}_test_extra`,
  sql: 'ALTER TABLE users ADD COLUMN bio TEXT; CREATE TABLE test_extra (id INTEGER PRIMARY KEY);',
};

async function seed(s: PostgresStorage, chatIds: readonly string[] = ['chat_notes']): Promise<void> {
  await s.createUser(
    { userId: 'user_alice', handle: 'alice', displayName: 'Alice', createdAt: T0, recoveryHash: 'salt:hash' },
    { deviceId: 'dev_alice_1', userId: 'user_alice', name: 'laptop', publicKey: 'key', createdAt: T0, lastSeenAt: null, revokedAt: null },
  );
  for (const chatId of chatIds) {
    await s.createChat(
      { chatId, kind: 'group', name: chatId, color: '#112233', createdAt: T0, lastSeq: 0, mlsEpoch: 0, directKey: null },
      [{ chatId, userId: 'user_alice', role: 'owner', joinedAt: T0, deliveredSeq: 0, readSeq: 0, adminSince: T0 }],
      { chatId, clientMsgId: 'created_', senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: T0, envelope: null, system: { kind: 'created' } },
    );
  }
}

function text(chatId: string, clientMsgId: string): AppendRequest {
  return {
    chatId, clientMsgId, senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: T0 + 1,
    envelope: { contentType: 'application/octet-stream', payload: Buffer.from(clientMsgId).toString('base64') }, system: null,
  };
}

async function recorded(s: PostgresStorage): Promise<unknown[]> {
  return (await s.pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows;
}

describe('PostgresStorage in a cluster', () => {
  it('R3 two nodes appending concurrently to one chat get seqs 1..N with no gap and no duplicate', async () => {
    const url = await migratedDatabase();
    const [a, b] = await Promise.all([PostgresStorage.open(url, { poolSize: 5 }), PostgresStorage.open(url, { poolSize: 5 })]);
    try {
      await seed(a, ['chat_x', 'chat_y']);
      // Batches touch both chats in both orders (a deadlock if locks were not taken sorted), and both
      // nodes send some of the same client ids (R1: each is appended once, the other sees duplicate).
      const batch = (node: string, i: number): AppendRequest[] => i % 3 === 0
        ? [text('chat_y', `${node}_${i}_1`), text('chat_x', `${node}_${i}_2`), text('chat_x', `shared_${i}`)]
        : [text('chat_x', `${node}_${i}_1`), text('chat_y', `${node}_${i}_2`), text('chat_y', `shared_${i}`)];
      const rounds = Array.from({ length: 40 }, (_, i) => i);
      const results = (await Promise.all([...rounds.map((i) => a.appendMessages(batch('a', i))), ...rounds.map((i) => b.appendMessages(batch('b', i)))])).flat();

      assert.equal(results.filter((r) => r.duplicate).length, rounds.length);
      for (const chatId of ['chat_x', 'chat_y']) {
        const log = await b.getMessages(chatId, { limit: 1000 });
        assert.deepEqual(log.map((m) => m.seq), Array.from({ length: log.length }, (_, i) => i + 1), `${chatId} seqs`);
        assert.equal(new Set(log.map((m) => m.clientMsgId)).size, log.length, `${chatId} client ids`);
        assert.equal((await a.getChat(chatId))?.lastSeq, log.length);
      }
      // Every result, first or duplicate, is what the log holds at that seq.
      const stored = new Map((await Promise.all(['chat_x', 'chat_y'].map((id) => a.getMessages(id, { limit: 1000 })))).flat().map((m) => [`${m.chatId}/${m.seq}`, m]));
      for (const r of results) assert.deepEqual(r.message, stored.get(`${r.message.chatId}/${r.message.seq}`));
      assert.equal(stored.size, results.length - rounds.length + 2); // + the two 'created' entries
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('R21 two nodes appending to one user\'s key log at once never fork it: indices 1..N, each entry chained on the previous', async () => {
    const url = await migratedDatabase();
    const [a, b] = await Promise.all([PostgresStorage.open(url, { poolSize: 6 }), PostgresStorage.open(url, { poolSize: 6 })]);
    try {
      await seed(a, []);
      const devices = Array.from({ length: 30 }, (_, i) => `dev_alice_k${i}`);
      for (const deviceId of devices) {
        await a.addDevice({ deviceId, userId: 'user_alice', name: deviceId, publicKey: 'key', createdAt: T0, lastSeenAt: null, revokedAt: null });
      }
      const mlsKey = (i: number) => createHash('sha256').update(`k${i}`).digest('base64');
      // Each device publishes through both nodes at once (one wins, one gets the same entry back);
      // every third is revoked right after, from the other node.
      await Promise.all(devices.flatMap((deviceId, i) => [a, b].map(async (node, n) => {
        await node.publishMlsKey({ userId: 'user_alice', deviceId, mlsSignatureKey: mlsKey(i), at: T0 + i });
        if (i % 3 === 0 && n === 0) await b.revokeDevice(deviceId, T0 + 100 + i);
      })));
      const { entries, head } = await b.getKeyLog('user_alice', 0, 1000);
      assert.equal(entries.length, devices.length + devices.length / 3);
      let prev = KEY_LOG_GENESIS_HASH;
      entries.forEach((e, i) => {
        assert.deepEqual([e.index, e.prevHash], [i + 1, prev]);
        assert.equal(createHash('sha256').update(keyLogEntryBytes({ userId: 'user_alice', ...e })).digest('hex'), e.hash);
        prev = e.hash;
      });
      assert.deepEqual(head, { index: entries.length, hash: prev });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('committed data written by one node is read by another, payload bytes intact', async () => {
    const url = await migratedDatabase();
    const a = await PostgresStorage.open(url);
    const b = await PostgresStorage.open(url);
    try {
      await seed(a);
      const bytes = Buffer.from([0, 255, 7]).toString('base64');
      const [sent] = await a.appendMessages([{ ...text('chat_notes', 'message1'), envelope: { contentType: 'application/octet-stream', payload: bytes } }]);
      assert.deepEqual(await b.getMessages('chat_notes', { afterSeq: 1, limit: 10 }), [sent?.message]);
      const row = await b.pool.query("SELECT pg_typeof(payload)::text AS type, encode(payload, 'hex') AS hex FROM messages WHERE client_msg_id = 'message1'");
      assert.deepEqual(row.rows, [{ type: 'bytea', hex: '00ff07' }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('PostgresStorage migrations', () => {
  it('three nodes opening a fresh database at once run each migration exactly once', async () => {
    const url = await freshDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => PostgresStorage.open(url, { clock })));
    try {
      assert.deepEqual(nodes.flatMap((n) => n.appliedMigrations).sort((x, y) => x - y), latest.map((m) => m.version));
      assert.deepEqual(await recorded(nodes[0]!), latest.map((m) => ({ version: m.version, name: m.name, applied_at: T0 })));
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it('a reopen runs no migration again', async () => {
    const url = await freshDatabase();
    const first = await PostgresStorage.open(url, { clock });
    const before = await recorded(first);
    await first.close();
    const second = await PostgresStorage.open(url, { clock: { now: () => T0 + 1 } });
    try {
      assert.deepEqual(second.appliedMigrations, []);
      assert.deepEqual(await recorded(second), before);
    } finally {
      await second.close();
    }
  });

  it('a database at migration N upgrades to N+1 and keeps its data', async () => {
    const url = await freshDatabase();
    const old = await PostgresStorage.open(url, { migrations: latest });
    await seed(old);
    await old.close();
    const upgraded = await PostgresStorage.open(url, { migrations: [...latest, extra] });
    try {
      assert.deepEqual(upgraded.appliedMigrations, [extra.version]);
      assert.deepEqual((await upgraded.pool.query("SELECT bio FROM users WHERE user_id = 'user_alice'")).rows, [{ bio: null }]);
      const [next] = await upgraded.appendMessages([text('chat_notes', 'message2')]);
      assert.equal(next?.message.seq, 2);
    } finally {
      await upgraded.close();
    }
  });

  it('R15 the commit-epoch migration: the commit entries of before carry their epochs 0, 1, 2… per chat; other entries none', async () => {
    const url = await freshDatabase();
    const before = latest.slice(0, latest.findIndex((m) => m.name.endsWith('_commit_epochs')));
    const old = await PostgresStorage.open(url, { migrations: before });
    await old.pool.query(`INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_alice', 'alice', 'A', 1, 'h');
      INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES ('chat_a', 'group', '', '#336699', 1, 4, NULL), ('chat_b', 'group', '', '#336699', 1, 1, NULL);
      INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system) VALUES
        ('chat_a', 1, 'c0______', 'user_alice', 'dev_a', 1, 'parley/mls-commit', '\\x01', NULL),
        ('chat_a', 2, 'm1______', 'user_alice', 'dev_a', 2, 'parley/mls-app', '\\x02', NULL),
        ('chat_a', 3, 'c1______', 'user_alice', 'dev_a', 3, 'parley/mls-commit', '\\x03', NULL),
        ('chat_b', 1, 'c0______', 'user_alice', 'dev_a', 4, 'parley/mls-commit', '\\x04', NULL);`);
    await old.close();
    const upgraded = await PostgresStorage.open(url);
    try {
      assert.deepEqual((await upgraded.getMessages('chat_a', { limit: 10 })).map((m) => m.commitEpoch), [0, undefined, 1]);
      assert.deepEqual((await upgraded.getMessages('chat_b', { limit: 10 })).map((m) => m.commitEpoch), [0]);
    } finally {
      await upgraded.close();
    }
  });

  it('R42 the invite migration: admins and owners of before count as admins since they joined; invites have no use limit and no uses', async () => {
    const url = await freshDatabase();
    const before = latest.slice(0, latest.findIndex((m) => m.name.endsWith('_invite_rights')));
    const old = await PostgresStorage.open(url, { migrations: before });
    await old.pool.query(`INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_alice', 'alice', 'A', 1, 'h'), ('user_bob', 'bob', 'B', 1, 'h');
      INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES ('chat_old', 'group', '', '#336699', 1, 0, NULL);
      INSERT INTO members (chat_id, user_id, role, joined_at, delivered_seq, read_seq) VALUES ('chat_old', 'user_alice', 'owner', 5, 0, 0), ('chat_old', 'user_bob', 'member', 6, 0, 0);
      INSERT INTO invites (token, chat_id, created_by, created_at, expires_at) VALUES ('invite_old', 'chat_old', 'user_alice', 7, NULL);`);
    await old.close();
    const upgraded = await PostgresStorage.open(url);
    try {
      assert.deepEqual([(await upgraded.getMember('chat_old', 'user_alice'))?.adminSince, (await upgraded.getMember('chat_old', 'user_bob'))?.adminSince], [5, null]);
      assert.deepEqual(await upgraded.getInvite('invite_old'), { token: 'invite_old', chatId: 'chat_old', createdBy: 'user_alice', createdAt: 7, expiresAt: null, maxUses: null, uses: 0 });
    } finally {
      await upgraded.close();
    }
  });

  it('a failing migration is rolled back whole and leaves the database at the previous one', async () => {
    const url = await freshDatabase();
    const broken: Migration = { ...extra, sql: 'CREATE TABLE test_extra (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);' };
    await assert.rejects(PostgresStorage.open(url, { migrations: [...latest, broken] }), /no_such_table/);
    const s = await PostgresStorage.open(url, { migrations: latest });
    try {
      assert.deepEqual(s.appliedMigrations, []);
      assert.deepEqual((await s.pool.query("SELECT to_regclass('test_extra') AS t")).rows, [{ t: null }]);
    } finally {
      await s.close();
    }
  });

  it('a database with a migration this server does not know is refused', async () => {
    const url = await freshDatabase();
    await (await PostgresStorage.open(url, { migrations: [...latest, extra] })).close();
    await assert.rejects(PostgresStorage.open(url, { migrations: latest }), /unknown to this server/);
  });
});
