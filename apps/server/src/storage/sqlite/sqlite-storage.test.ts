import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, type Migration } from '../migrate.ts';
import { storageSuite } from '../storage.suite.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

let dir = '';
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const freshPath = (): string => join(dir, `db-${++n}.sqlite`);

// The contract runs on copies of one migrated file (migrating each would cost ~0.8 s under CI load); opening and migrating are tested below.
storageSuite('SqliteStorage', async () => SqliteStorage.open(migratedSqliteFile(freshPath())));

const T0 = 1_700_000_000_000;
const clock = { now: () => T0 };
const latest = loadMigrations('sqlite');
const extra: Migration = {
  version: latest.length + 1,
  name: `${String(latest.length + 1).padStart(3, '0')}_test_extra`,
  sql: 'ALTER TABLE users ADD COLUMN bio TEXT; CREATE TABLE test_extra (id INTEGER PRIMARY KEY);',
};

async function seed(s: SqliteStorage): Promise<void> {
  await s.createUser(
    { userId: 'user_alice', handle: 'alice', displayName: 'Alice', createdAt: T0, recoveryHash: 'salt:hash' },
    { deviceId: 'dev_alice_1', userId: 'user_alice', name: 'laptop', publicKey: 'key', createdAt: T0, lastSeenAt: null, revokedAt: null },
  );
  await s.createChat(
    { chatId: 'chat_notes', kind: 'group', name: 'Notes', color: '#112233', createdAt: T0, lastSeq: 0, mlsEpoch: 0, directKey: null },
    [{ chatId: 'chat_notes', userId: 'user_alice', role: 'owner', joinedAt: T0, deliveredSeq: 0, readSeq: 0, adminSince: T0 }],
    { chatId: 'chat_notes', clientMsgId: 'created_', senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: T0, envelope: null, system: { kind: 'created' } },
  );
  await s.appendMessages([{
    chatId: 'chat_notes', clientMsgId: 'message1', senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: T0 + 1,
    envelope: { contentType: 'application/octet-stream', payload: Buffer.from([0, 255, 7]).toString('base64') }, system: null,
  }]);
}

function schema(s: SqliteStorage): unknown[] {
  return s.db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
}

describe('SqliteStorage on disk', () => {
  it('committed data survives close and reopen', async () => {
    const path = freshPath();
    const s = SqliteStorage.open(path);
    await seed(s);
    const before = await s.getMessages('chat_notes', { limit: 10 });
    await s.close();

    const again = SqliteStorage.open(path);
    try {
      assert.equal((await again.getUser('user_alice'))?.handle, 'alice');
      assert.equal((await again.getChat('chat_notes'))?.lastSeq, 2);
      assert.deepEqual(await again.getMessages('chat_notes', { limit: 10 }), before);
      const [next] = await again.appendMessages([{ ...before[1]!, clientMsgId: 'message2', envelope: null, system: { kind: 'renamed', name: 'x' } }]);
      assert.equal(next?.message.seq, 3);
    } finally {
      await again.close();
    }
  });

  it('R2 the database runs in WAL mode with synchronous=FULL, foreign keys on and a busy timeout', async () => {
    const s = SqliteStorage.open(freshPath());
    try {
      assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(s.db.pragma('synchronous', { simple: true }), 2); // 2 = FULL
      assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
      assert.ok(Number(s.db.pragma('busy_timeout', { simple: true })) > 0);
    } finally {
      await s.close();
    }
  });

  it('payloads are stored as bytes, not as base64 text', async () => {
    const s = SqliteStorage.open(freshPath());
    try {
      await seed(s);
      const row = s.db.prepare("SELECT typeof(payload) AS type, hex(payload) AS hex FROM messages WHERE client_msg_id = 'message1'").get();
      assert.deepEqual(row, { type: 'blob', hex: '00FF07' });
    } finally {
      await s.close();
    }
  });

  it("':memory:' opens a working, migrated database", async () => {
    const s = SqliteStorage.open(':memory:');
    try {
      await seed(s);
      assert.equal((await s.getChat('chat_notes'))?.lastSeq, 2);
    } finally {
      await s.close();
    }
  });
});

describe('SqliteStorage migrations', () => {
  it('migrations are applied once: a reopen runs none of them again', async () => {
    const path = freshPath();
    const first = SqliteStorage.open(path, { clock });
    assert.deepEqual(first.appliedMigrations, latest.map((m) => m.version));
    const recorded = first.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(recorded, latest.map((m) => ({ version: m.version, name: m.name, applied_at: T0 })));
    await first.close();

    const second = SqliteStorage.open(path, { clock: { now: () => T0 + 1 } });
    try {
      assert.deepEqual(second.appliedMigrations, []);
      assert.deepEqual(second.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all(), recorded);
    } finally {
      await second.close();
    }
  });

  it('a database at migration N upgrades to N+1 and keeps its data', async () => {
    const path = freshPath();
    const old = SqliteStorage.open(path, { clock, migrations: latest });
    await seed(old);
    await old.close();

    const upgraded = SqliteStorage.open(path, { clock, migrations: [...latest, extra] });
    try {
      assert.deepEqual(upgraded.appliedMigrations, [extra.version]);
      assert.deepEqual(upgraded.db.prepare("SELECT bio FROM users WHERE user_id = 'user_alice'").get(), { bio: null });
      assert.equal((await upgraded.getMessages('chat_notes', { limit: 10 })).length, 2);
      const [next] = await upgraded.appendMessages([{
        chatId: 'chat_notes', clientMsgId: 'message2', senderUserId: 'user_alice', senderDeviceId: 'dev_alice_1', sentAt: T0 + 2, envelope: null, system: { kind: 'renamed', name: 'x' },
      }]);
      assert.equal(next?.message.seq, 3);
    } finally {
      await upgraded.close();
    }
  });

  it('R15 the commit-epoch migration: the commit entries of before carry their epochs 0, 1, 2… per chat; other entries none', async () => {
    const path = freshPath();
    const before = latest.slice(0, latest.findIndex((m) => m.name.endsWith('_commit_epochs')));
    const old = SqliteStorage.open(path, { migrations: before });
    old.db.exec(`INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_alice', 'alice', 'A', 1, 'h');
      INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES ('chat_a', 'group', '', '#336699', 1, 4, NULL), ('chat_b', 'group', '', '#336699', 1, 1, NULL);
      INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system) VALUES
        ('chat_a', 1, 'c0______', 'user_alice', 'dev_a', 1, 'parley/mls-commit', X'01', NULL),
        ('chat_a', 2, 'm1______', 'user_alice', 'dev_a', 2, 'parley/mls-app', X'02', NULL),
        ('chat_a', 3, 'c1______', 'user_alice', 'dev_a', 3, 'parley/mls-commit', X'03', NULL),
        ('chat_b', 1, 'c0______', 'user_alice', 'dev_a', 4, 'parley/mls-commit', X'04', NULL);`);
    await old.close();
    const upgraded = SqliteStorage.open(path);
    try {
      assert.deepEqual((await upgraded.getMessages('chat_a', { limit: 10 })).map((m) => m.commitEpoch), [0, undefined, 1]);
      assert.deepEqual((await upgraded.getMessages('chat_b', { limit: 10 })).map((m) => m.commitEpoch), [0]);
    } finally {
      await upgraded.close();
    }
  });

  it('R42 the invite migration: admins and owners of before count as admins since they joined; invites have no use limit and no uses', async () => {
    const path = freshPath();
    const before = latest.slice(0, latest.findIndex((m) => m.name.endsWith('_invite_rights')));
    const old = SqliteStorage.open(path, { migrations: before });
    old.db.exec(`INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_alice', 'alice', 'A', 1, 'h'), ('user_bob', 'bob', 'B', 1, 'h');
      INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES ('chat_old', 'group', '', '#336699', 1, 0, NULL);
      INSERT INTO members (chat_id, user_id, role, joined_at, delivered_seq, read_seq) VALUES ('chat_old', 'user_alice', 'admin', 5, 0, 0), ('chat_old', 'user_bob', 'member', 6, 0, 0);
      INSERT INTO invites (token, chat_id, created_by, created_at, expires_at) VALUES ('invite_old', 'chat_old', 'user_alice', 7, NULL);`);
    await old.close();
    const upgraded = SqliteStorage.open(path);
    try {
      assert.deepEqual([(await upgraded.getMember('chat_old', 'user_alice'))?.adminSince, (await upgraded.getMember('chat_old', 'user_bob'))?.adminSince], [5, null]);
      assert.deepEqual(await upgraded.getInvite('invite_old'), { token: 'invite_old', chatId: 'chat_old', createdBy: 'user_alice', createdAt: 7, expiresAt: null, maxUses: null, uses: 0 });
    } finally {
      await upgraded.close();
    }
  });

  it('every migration: a database at any earlier migration upgrades to the same schema as a fresh one', async () => {
    const fresh = SqliteStorage.open(freshPath());
    const expected = schema(fresh);
    await fresh.close();
    for (let at = 0; at < latest.length; at++) {
      const path = freshPath();
      await SqliteStorage.open(path, { migrations: latest.slice(0, at) }).close();
      const upgraded = SqliteStorage.open(path);
      try {
        assert.deepEqual(upgraded.appliedMigrations, latest.slice(at).map((m) => m.version), `from migration ${at}`);
        assert.deepEqual(schema(upgraded), expected, `from migration ${at}`);
        await seed(upgraded);
      } finally {
        await upgraded.close();
      }
    }
  });

  it('a failing migration is rolled back whole and leaves the database at the previous one', async () => {
    const path = freshPath();
    const broken: Migration = { ...extra, sql: 'CREATE TABLE test_extra (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);' };
    assert.throws(() => SqliteStorage.open(path, { migrations: [...latest, broken] }), /no such table/);
    const s = SqliteStorage.open(path, { migrations: latest });
    try {
      assert.deepEqual(s.appliedMigrations, []);
      assert.equal(s.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'test_extra'").get(), undefined);
    } finally {
      await s.close();
    }
  });

  it('a database with a migration this server does not know is refused', async () => {
    const path = freshPath();
    await SqliteStorage.open(path, { migrations: [...latest, extra] }).close();
    assert.throws(() => SqliteStorage.open(path, { migrations: latest }), /unknown to this server/);
  });

  it('migration files must be numbered 001, 002, … without gaps', () => {
    const folder = mkdtempSync(join(dir, 'migrations-'));
    writeFileSync(join(folder, '001_first.sql'), 'SELECT 1;');
    writeFileSync(join(folder, '003_third.sql'), 'SELECT 1;');
    writeFileSync(join(folder, 'README.md'), 'not a migration');
    assert.throws(() => loadMigrations('sqlite', folder), /003_third: expected number 002/);
    rmSync(join(folder, '003_third.sql'));
    assert.deepEqual(loadMigrations('sqlite', folder), [{ version: 1, name: '001_first', sql: 'SELECT 1;' }]);
  });
});
