import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import { createTestDatabase, createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-admin-'));
  dirs.push(dir);
  return dir;
}

/** Runs the admin CLI as an operator would, in a child process. */
function admin(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['apps/server/bin/parley-admin.mjs', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

// Under load (CI beside other work) a burst of sends can take longer than waitFor's 10 s to be acked.
const sent = async (u: TestUser) => waitFor(() => u.client.outbox().length === 0, { what: `${u.handle} outbox acked`, timeoutMs: 60_000 });
const ids = (log: readonly Message[]) => log.map((m) => `${m.seq}:${m.senderUserId}:${m.clientMsgId}`);

describe('parley-admin backup and restore', () => {
  it('an online backup holds every acked message; a restored server serves them to fresh clients', async () => {
    const dataDir = tempDir();
    // An older data dir's key file: it seeds the database's key and is kept with the backup.
    writeFileSync(join(dataDir, 'secret.key'), randomBytes(32), { mode: 0o600 });
    const server = await startTestServer({}, { dataDir });
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    if (!alice || !bob || !carol) throw new Error('users');
    const direct = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(direct.chatId) !== undefined, { what: 'bob sees the direct chat' });
    const group = await alice.client.createGroup({ name: 'Backups', memberIds: [bob.userId, carol.userId] });
    await waitFor(() => [bob, carol].every((u) => u.client.chat(group.chatId) !== undefined), { what: 'group seen' });
    for (let i = 0; i < 30; i += 1) {
      const [from, chatId] = i < 20 ? [i % 2 ? bob : alice, direct.chatId] : [i % 2 ? alice : bob, group.chatId];
      await from.client.sendText(chatId, `message ${i}`);
    }
    await Promise.all([alice, bob].map(sent));
    const vapidKey = await alice.client.pushVapidKey();

    // Carol keeps writing to the group while the backup runs.
    let writing = true;
    let carolSent = 0;
    const writer = (async () => {
      while (writing) {
        await carol.client.sendText(group.chatId, `carol ${carolSent++}`);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    await waitFor(() => carol.client.log(group.chatId).some((m) => m.senderUserId === carol.userId), { what: 'carol acked' });
    // What was acked when the backup started: the senders' logs hold acked messages only.
    const ackedBefore = {
      [direct.chatId]: [...alice.client.log(direct.chatId)],
      [group.chatId]: [...carol.client.log(group.chatId)],
    };
    const backupFile = join(tempDir(), 'nightly', 'parley.backup');
    const result = await admin(['backup', '--data-dir', dataDir, '--out', backupFile]);
    writing = false;
    await writer;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /database: .*parley\.backup/);
    assert.match(result.stdout, /secret\.key: .*parley\.backup\.secret\.key/);
    assert.match(result.stdout, /vapid\.json: not in .*, skipped/);
    for (const file of [backupFile, `${backupFile}.secret.key`]) {
      assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is private`);
    }
    assert.ok(carol.client.log(group.chatId).length > ackedBefore[group.chatId]!.length, 'writes went on during the backup');
    for (const u of [alice, bob, carol]) await u.client.stop();
    await server.close();

    const restoredDir = join(tempDir(), 'restored');
    const restored = await admin(['restore', '--from', backupFile, '--data-dir', restoredDir]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /integrity_check: ok/);
    assert.deepEqual(readFileSync(join(restoredDir, 'secret.key')), readFileSync(join(dataDir, 'secret.key')));

    const again = await admin(['restore', '--from', backupFile, '--data-dir', restoredDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty; pass --force/);

    const server2 = await startTestServer({}, { dataDir: restoredDir });
    try {
      for (const user of [alice, bob, carol]) {
        // A fresh install of the same device: logs in with its device key, syncs from nothing.
        const client = newClient(server2.url, user.userId, user.deviceId, user.deviceKey);
        await client.start();
        await waitFor(() => client.connectionState === 'online', { what: `${user.handle} logs in to the restored server` });
        const chats: string[] = user === carol ? [group.chatId] : [direct.chatId, group.chatId];
        for (const chatId of chats) {
          await waitFor(() => (client.chat(chatId)?.lastSeq ?? -1) > 0 && client.log(chatId).at(-1)?.seq === client.chat(chatId)?.lastSeq,
            { what: `${user.handle} synced ${chatId}` });
          while (client.hasOlder(chatId)) await client.loadOlder(chatId);
          const log: readonly Message[] = client.log(chatId);
          const before: Message[] = ackedBefore[chatId] ?? [];
          assert.deepEqual(log.map((m) => m.seq), log.map((_, i) => i + 1), 'one copy of each seq, in order');
          assert.deepEqual(ids(log.slice(0, before.length)), ids(before), `${user.handle}: every message acked before the backup`);
        }
        assert.equal(await client.pushVapidKey(), vapidKey, 'the VAPID key was restored');
        await client.stop();
      }
    } finally {
      await server2.close();
    }
  });

  it('restore refuses a non-empty data dir unless --force, and then replaces its database', async () => {
    const dataDir = tempDir();
    const server = await startTestServer({}, { dataDir });
    const user = await createUser(server.url);
    await user.client.stop();
    const backupFile = join(tempDir(), 'b.sqlite');
    assert.equal((await admin(['backup', '--data-dir', dataDir, '--out', backupFile])).code, 0);
    await server.close();

    const target = tempDir();
    writeFileSync(join(target, 'parley.sqlite-wal'), 'stale WAL of another database');
    const refused = await admin(['restore', '--from', backupFile, '--data-dir', target]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--force/);
    const forced = await admin(['restore', '--from', backupFile, '--data-dir', target, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /integrity_check: ok/);

    await using server2 = await startTestServer({}, { dataDir: target });
    const client = newClient(server2.url, user.userId, user.deviceId, user.deviceKey);
    await client.start();
    await waitFor(() => client.connectionState === 'online', { what: 'login after a forced restore' });
    await client.stop();
  });

  it('prints its help and rejects bad usage', async () => {
    const help = await admin(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['backup', 'restore', 'migrate-to-postgres']) assert.match(help.stdout, new RegExp(command));
    const bad = await admin(['backup', '--data-dir', tempDir()]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /needs --out/);
  });
});

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, _stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve()));
  });
}

describe('PostgreSQL backup and restore (docs/OPERATIONS.md)', () => {
  it('pg_dump while messages flow, pg_restore into a new database: a server on it serves every message acked before the dump', async () => {
    await using source = await createTestDatabase('parley_bk');
    await using target = await createTestDatabase('parley_bk');
    const server = await startTestServer({ PARLEY_DATABASE_URL: source.url });
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !bob) throw new Error('users');
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined, { what: 'bob sees the direct chat' });
    for (let i = 0; i < 20; i += 1) await (i % 2 ? bob : alice).client.sendText(chatId, `pg ${i}`);
    await Promise.all([alice, bob].map(sent));
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n += 1) {
        await alice.client.sendText(chatId, `during ${n}`);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    await waitFor(() => alice.client.log(chatId).length > 22, { what: 'writes flowing' });
    const ackedBefore = [...alice.client.log(chatId)];
    const dump = join(tempDir(), 'parley.dump');
    await run('pg_dump', ['--format=custom', `--file=${dump}`, source.url]);
    writing = false;
    await writer;
    await sent(alice);
    assert.ok(alice.client.log(chatId).length > ackedBefore.length, 'writes went on during the dump');
    await run('pg_restore', ['--no-owner', `--dbname=${target.url}`, dump]);
    for (const u of [alice, bob]) await u.client.stop();
    await server.close();

    const restored = await startTestServer({ PARLEY_DATABASE_URL: target.url });
    try {
      for (const user of [alice, bob]) {
        const client = newClient(restored.url, user.userId, user.deviceId, user.deviceKey);
        await client.start();
        await waitFor(() => client.connectionState === 'online', { what: `${user.handle} logs in to the restored server` });
        await waitFor(() => (client.chat(chatId)?.lastSeq ?? -1) > 0 && client.log(chatId).at(-1)?.seq === client.chat(chatId)?.lastSeq, { what: 'synced' });
        while (client.hasOlder(chatId)) await client.loadOlder(chatId);
        const log = client.log(chatId);
        assert.deepEqual(log.map((m) => m.seq), log.map((_, i) => i + 1), 'one copy of each seq, in order');
        assert.deepEqual(ids(log.slice(0, ackedBefore.length)), ids(ackedBefore), `${user.handle}: every message acked before the dump`);
        await client.stop();
      }
    } finally {
      await restored.close();
    }
  });
});
