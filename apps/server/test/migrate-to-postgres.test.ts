import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteBlobs } from '../src/storage/sqlite/sqlite-blobs.ts';
import { SqliteDeviceLinks } from '../src/storage/sqlite/sqlite-device-links.ts';
import { SqliteModeration } from '../src/storage/sqlite/sqlite-moderation.ts';
import { SqliteChannelWraps } from '../src/storage/sqlite/sqlite-channel-wraps.ts';
import { SqliteWrappedResponses } from '../src/storage/sqlite/sqlite-wrapped-responses.ts';
import { SqliteWrappedVotes } from '../src/storage/sqlite/sqlite-wrapped-votes.ts';
import { SqliteWrappedComments } from '../src/storage/sqlite/sqlite-wrapped-comments.ts';
import { SqliteWrappedViews } from '../src/storage/sqlite/sqlite-wrapped-views.ts';
import { SqliteChannelViews } from '../src/storage/sqlite/sqlite-channel-views.ts';
import { SqliteWrappedReads } from '../src/storage/sqlite/sqlite-wrapped-reads.ts';
import { SqliteWrappedSchedule } from '../src/storage/sqlite/sqlite-wrapped-schedule.ts';
import pg from 'pg';
import { createUser, dropInBackground, newClient, startTestServer, uniqueHandle, waitFor } from '@parley/testing';
import { PostgresStorage } from '../src/storage/postgres/postgres-storage.ts';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const BASE_URL = process.env['PARLEY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const adminPool = new pg.Pool({ connectionString: BASE_URL, max: 2 });
const databases: string[] = [];
const dirs: string[] = [];

after(async () => {
  await adminPool.end();
  await dropInBackground(databases);
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

async function freshDatabase(): Promise<string> {
  const name = `parley_m_${randomBytes(6).toString('hex')}`;
  await adminPool.query(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs the admin CLI as an operator would, in a child process. */
function admin(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['apps/server/bin/parley-admin.mjs', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('parley-admin migrate-to-postgres', () => {
  it('copies every table of a single node into PostgreSQL, and refuses a second run', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
    dirs.push(dataDir);
    const server = await startTestServer({}, { dataDir });
    const [ann, ben, cat, dan] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url)));
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const direct = await ann.client.openDirect(ben.userId);
    await waitFor(() => ben.client.chat(direct.chatId) !== undefined, { what: 'ben sees the direct chat' });
    for (let i = 0; i < 12; i += 1) await (i % 2 ? ben : ann).client.sendText(direct.chatId, `direct ${i}`);
    const group = await ann.client.createGroup({ name: 'Move to PG', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => cat.client.chat(group.chatId) !== undefined, { what: 'cat sees the group' });
    await cat.client.sendText(group.chatId, 'hello group');
    await ann.client.setRole(group.chatId, ben.userId, 'admin');
    await ann.client.renameChat(group.chatId, 'Moved to PG');
    await ben.client.removeMember(group.chatId, cat.userId);
    const { token } = await ann.client.createInvite(group.chatId);
    await dan.client.joinInvite(token);
    await waitFor(() => dan.client.chat(group.chatId) !== undefined, { what: 'dan joined' });
    await dan.client.sendText(group.chatId, 'joined by invite');
    // R66-R71: a community with a member who came by invite, and a ban.
    const community = await ann.client.communities.create({ name: 'House 5' });
    const { token: communityInvite } = await ann.client.communities.createInvite(community.communityId);
    await ben.client.communities.joinInvite(communityInvite);
    await cat.client.communities.joinInvite(communityInvite);
    await ann.client.communities.ban(community.communityId, cat.userId);
    // R90: a bot Ann owns (the bots table).
    await ann.client.bots.create({ handle: 'mover_bot', displayName: 'Mover', description: 'moves things' });
    // R95-R98: a channel with an admin, a post, a subscriber who reacted and viewed it.
    const channel = await ann.client.channels.create({ handle: uniqueHandle('moved').slice(0, 30), title: 'Moved channel' });
    await ann.client.channels.addAdmin(channel.channelId, ben.userId);
    // R110: a photo of a post (channel_media).
    const channelPhoto = await ann.client.channels.uploadFile(new Uint8Array([1, 2, 3]), { mime: 'image/png', name: 'moved.png' });
    // R198: with a poll, and a vote on it (channel_votes, channel_vote_counts).
    const channelPost = await ann.client.channels.post(channel.channelId, 'channel post moved to PG', { attachments: [channelPhoto], poll: { question: 'Moved?', options: ['Yes', 'No'] } });
    await ben.client.channels.subscribe(channel.channelId);
    await ben.client.channels.react(channel.channelId, channelPost.postId, '👍');
    await ben.client.channels.vote(channel.channelId, { postSeq: channelPost.postSeq, poll: channelPost.poll! }, [0]);
    await ben.client.channels.markViewed(channel.channelId, [channelPost.postId]);
    // R115, R114: a post scheduled for later, and the community's general chat linked as the channel's discussion.
    // R192: with a photo it holds (channel_scheduled_blobs).
    const scheduledPhoto = await ann.client.channels.uploadFile(new Uint8Array([4, 5, 6]), { mime: 'image/png', name: 'later.png' });
    await ann.client.channels.schedule(channel.channelId, 'scheduled post moved to PG', Date.now() + 3_600_000, { attachments: [scheduledPhoto] });
    const talk = (await ann.client.communities.chats(community.communityId)).find((c) => c.kind === 'general');
    await ann.client.channels.linkDiscussion(channel.channelId, talk?.chatId ?? '');
    // R100: a link that needs approval (needs_approval, a boolean in PostgreSQL) and a pending request through it.
    const { token: approvalInvite } = await ann.client.communities.createInvite(community.communityId, { needsApproval: true });
    await dan.client.communities.joinRequests.request(approvalInvite, 'flat 9');
    await waitFor(() => [ann, ben, dan].every((u) => u.client.outbox().length === 0), { what: 'all acked' });
    // Dan's message is encrypted once his device is in the group; a member's device may name the group
    // for him (an encrypted chat_info) just before or after it, so look for the message, not the last entry.
    await waitFor(() => ben.client.timeline(direct.chatId).filter((i) => i.text.startsWith('direct ')).length === 12 && ben.client.timeline(group.chatId).some((i) => i.text === 'joined by invite'),
      { what: 'ben has everything', timeoutMs: 30_000 });
    const groupEnd = ben.client.log(group.chatId).at(-1)?.seq;
    ben.client.markRead(direct.chatId);
    ben.client.markRead(group.chatId);
    const directEnd = ben.client.log(direct.chatId).at(-1)?.seq;
    await waitFor(async () => (await server.services.storage.getMember(direct.chatId, ben.userId))?.readSeq === directEnd, { what: 'read receipt stored' });
    for (const u of [ann, ben, cat, dan]) await u.client.stop();
    await server.close();

    // Rows the SDK does not make easily: a passkey (with a BLOB), a push subscription, an MLS key package.
    const local = SqliteStorage.open(join(dataDir, 'parley.sqlite'));
    await local.addPasskey({ credentialId: 'cred_1', userId: ann.userId, publicKey: new Uint8Array([0, 1, 2, 250, 255]), counter: 7, transports: ['usb', 'nfc'], createdAt: 1_700_000_000_000 });
    await local.upsertPushSubscription({ endpoint: 'https://push.example/ann', userId: ann.userId, deviceId: ann.deviceId, p256dh: 'p', auth: 'a', createdAt: 1_700_000_000_001 }, 5);
    await local.setCallRinging(ann.deviceId, ann.userId, 1_700_000_000_002); // R118
    await local.addKeyPackages({
      deviceId: ann.deviceId, oneTime: [], staleBefore: 0,
      lastResort: { keyPackageId: 'kp_1', userId: ann.userId, deviceId: ann.deviceId, keyPackage: Buffer.from([0, 1, 255]).toString('base64'), lastResort: true, createdAt: 1_700_000_000_002 },
    });
    // R44: a request, a block and a report.
    await local.addChatRequests([{ requestId: 'req_1', chatId: group.chatId, fromUserId: ann.userId, toUserId: cat.userId, createdAt: 1_700_000_000_005 }]);
    await local.addBlock(cat.userId, dan.userId, 1_700_000_000_006);
    await local.addReport({ reportId: 'rep_1', reporterUserId: cat.userId, reportedUserId: dan.userId, chatId: null, reason: 'spam', note: 'x', createdAt: 1_700_000_000_007 });
    // R53/R54: a blob and a message that references it.
    const blobs = new SqliteBlobs(local.db);
    await blobs.createBlob({ blobId: 'blob_moved_to_pg_00001', ownerUserId: ann.userId, ownerDeviceId: ann.deviceId, length: 1234, createdAt: 1_700_000_000_008, completedAt: null }, { quotaBytes: 1e9, maxInFlight: 8 });
    await blobs.completeBlob('blob_moved_to_pg_00001', 1_700_000_000_009);
    const [withFile] = await local.appendMessages([{
      chatId: direct.chatId, clientMsgId: 'with_a_file_1', senderUserId: ann.userId, senderDeviceId: ann.deviceId, sentAt: 1_700_000_000_010,
      envelope: { contentType: 'parley/e2ee', payload: 'AAEC' }, system: null, blobs: { add: ['blob_moved_to_pg_00001'], release: [] },
      frank: Buffer.alloc(32, 7).toString('base64'), // R83: a franking tag on its entry
    }]);
    // R82-R84: a mute, slow mode with a member's slot and a report.
    const moderation = new SqliteModeration(local.db);
    await moderation.putMute({ communityId: community.communityId, userId: ben.userId, untilMs: 4_000_000_000_000, by: ann.userId, at: 1_700_000_000_011 });
    await moderation.setSlowMode(community.announcementsChatId, 10_000);
    await moderation.claimSlowModeSlot(community.announcementsChatId, ben.userId, 'slow_mode_msg_1', 1_700_000_000_012, 10_000);
    await moderation.addReport({
      reportId: 'comm_report_1', communityId: community.communityId, chatId: community.announcementsChatId, seq: 1, clientMsgId: 'reported_msg_1',
      senderUserId: ann.userId, reporterUserId: ben.userId, text: 'proven text', reason: 'spam', sentAt: 1_700_000_000_013, createdAt: 1_700_000_000_014,
      resolved: { at: 1_700_000_000_015, by: ann.userId, outcome: 'acted' },
    });
    // R141-R142: an epoch of a wrapped channel, a wrap, a post under it and a removal's time.
    const wraps = new SqliteChannelWraps(local.db);
    await wraps.createEpoch({ communityId: community.communityId, epoch: 1, createdBy: ann.userId, createdAt: 1_700_000_000_016 });
    await wraps.putWraps([{ communityId: community.communityId, epoch: 1, userId: ben.userId, deviceId: ben.deviceId, wrapped: 'A'.repeat(104), wrappedBy: ann.deviceId }]);
    await wraps.appendPost({ communityId: community.communityId, epoch: 1, authorId: ann.userId, authorDevice: ann.deviceId, body: 'c2VhbGVkIHBvc3Q=', createdAt: 1_700_000_000_017 });
    await wraps.markRemoval(community.communityId, 1_700_000_000_018);
    // R166: a reaction to that post (a token) and its count.
    await new SqliteWrappedResponses(local.db).setReaction(community.communityId, 1, ben.userId, 'a'.repeat(32));
    // R177: a comment's mark on that post.
    await new SqliteWrappedComments(local.db).addMark(community.communityId, 1, 'c'.repeat(32), ben.userId, 1_700_000_000_019);
    // R183: a view counter of that post (seq 1 is a post here: no info entry before it).
    assert.deepEqual(await new SqliteWrappedViews(local.db).addViews(community.communityId, [1], 1_700_000_000_000), [1]);
    // R190: a view counter of a message's seq (the storage takes any chat's application message; the route names the announcements chat).
    const seq = withFile?.message.seq ?? 0;
    assert.deepEqual(await new SqliteChannelViews(local.db).addViews(community.communityId, direct.chatId, [seq], 1_700_000_000_000), [seq]);
    // R185: a vote (two tokens) on that post.
    await new SqliteWrappedVotes(local.db).setVotes(community.communityId, 1, ben.userId, ['d'.repeat(32), 'e'.repeat(32)]);
    // R182: Ben's read position (the log's end) and mute.
    await new SqliteWrappedReads(local.db).setMuted(community.communityId, ben.userId, true);
    // R188: a wrapped post scheduled for later.
    await new SqliteWrappedSchedule(local.db).putScheduled({
      communityId: community.communityId, scheduleId: 'sched_moved_to_pg', epoch: 1, authorId: ann.userId, authorDevice: ann.deviceId, body: 'c2NoZWR1bGVkIHBvc3Q=', publishAt: 4_000_000_000_000, createdAt: 1_700_000_000_020,
      blobIds: ['blob_moved_to_pg_00001'], // R192: a file it holds (channel_wrapped_scheduled_blobs)
    }, 100);
    // R191: an MLS-mode channel's post scheduled for later (the same store on its own table).
    await new SqliteWrappedSchedule(local.db, 'channel_mls_scheduled').putScheduled({
      communityId: community.communityId, scheduleId: 'sched_mls_to_pg', epoch: 3, authorId: ann.userId, authorDevice: ann.deviceId, body: 'c2NoZWR1bGVkIE1MUyBwb3N0', publishAt: 4_000_000_000_000, createdAt: 1_700_000_000_021,
    }, 100);
    await local.close();
    const linksDb = new Database(join(dataDir, 'parley.sqlite'));
    await new SqliteDeviceLinks(linksDb).createLink({
      linkId: 'link_pending_1', userId: ann.userId, deviceName: 'new laptop', publicKey: Buffer.alloc(32, 9).toString('base64'), codeHash: 'a'.repeat(64),
      createdAt: 1_700_000_000_004, expiresAt: 4_000_000_000_000, attempts: 0, status: 'pending', deviceId: null, closedAt: null,
      sourceKey: 'k'.repeat(64), origin: '203.0.113.x', displacedAt: null,
    }, 3, 1_700_000_000_004);
    linksDb.close();

    const url = await freshDatabase();
    const run = await admin(['migrate-to-postgres', '--data-dir', dataDir, '--database-url', url]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /schema: SQLite at migration \d+, PostgreSQL at \d+/);
    assert.match(run.stdout, /messages: \d+ rows \(counts match\)/);
    assert.match(run.stdout, /cluster nodes need no key files/);

    const sqlite = SqliteStorage.open(join(dataDir, 'parley.sqlite'));
    const postgres = await PostgresStorage.open(url);
    try {
      const tables = (sqlite.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
        .all() as { name: string }[]).map((r) => r.name);
      for (const table of ['users', 'devices', 'sessions', 'passkeys', 'chats', 'members', 'messages', 'invites', 'push_subscriptions', 'server_secrets']) {
        assert.ok(tables.includes(table), `${table} exists`);
      }
      for (const table of tables) {
        const want = (sqlite.db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
        const got = Number((await postgres.pool.query<{ n: string }>(`SELECT COUNT(*)::text AS n FROM "${table}"`)).rows[0]?.n);
        assert.equal(got, want, `${table} row count`);
        assert.ok(want > 0, `${table} has rows to copy`);
      }

      const chatIds = (sqlite.db.prepare('SELECT chat_id FROM chats').all() as { chat_id: string }[]).map((r) => r.chat_id);
      assert.equal(chatIds.length, 4, 'the direct chat, the group, the community announcements and general chats');
      // R100: SQLite's 0/1 became PostgreSQL's boolean, and the request came along as it was.
      const approval = await postgres.pool.query<{ needs_approval: boolean }>('SELECT needs_approval FROM community_invites WHERE token = $1', [approvalInvite.split('.')[0]]); // R152: the server's part of the link (the rest is the link's key)
      assert.equal(approval.rows[0]?.needs_approval, true);
      const asked = await postgres.pool.query<{ note: string; status: string }>('SELECT note, status FROM community_join_requests WHERE user_id = $1', [dan.userId]);
      assert.deepEqual(asked.rows.map((r) => [r.note, r.status]), [['flat 9', 'pending']]);
      for (const chatId of chatIds) {
        assert.deepEqual(await postgres.getMessages(chatId, { afterSeq: 0, limit: 1000 }), await sqlite.getMessages(chatId, { afterSeq: 0, limit: 1000 }));
        assert.deepEqual(await postgres.getChat(chatId), await sqlite.getChat(chatId));
        assert.deepEqual(await postgres.getMembers(chatId), await sqlite.getMembers(chatId));
      }
      // Each SDK device published its MLS key (R20) when it came online.
      assert.equal((await sqlite.getKeyLog(ann.userId, 0, 100)).entries.length, 1);
      assert.deepEqual(await postgres.getKeyLog(ann.userId, 0, 100), await sqlite.getKeyLog(ann.userId, 0, 100), 'the key log and its hashes');
      for (const u of [ann, ben, cat, dan]) {
        assert.deepEqual(await postgres.getUser(u.userId), await sqlite.getUser(u.userId));
        assert.deepEqual(await postgres.listDevices(u.userId), await sqlite.listDevices(u.userId));
        assert.deepEqual(await postgres.listChatsForUser(u.userId), await sqlite.listChatsForUser(u.userId));
        assert.deepEqual(await postgres.listPushSubscriptions(u.userId), await sqlite.listPushSubscriptions(u.userId));
        assert.deepEqual(await postgres.listCallRingingDevices(u.userId), await sqlite.listCallRingingDevices(u.userId));
      }
      assert.deepEqual(await postgres.getInvite(token), await sqlite.getInvite(token));
      assert.deepEqual(await postgres.getPasskey('cred_1'), await sqlite.getPasskey('cred_1'));
      assert.equal((await postgres.getMember(direct.chatId, ben.userId))?.readSeq, directEnd);
      for (const name of ['token-signing-key', 'vapid-keys']) {
        assert.deepEqual(await postgres.getOrCreateSecret(name, new Uint8Array([1])), await sqlite.getOrCreateSecret(name, new Uint8Array([2])), name);
      }
    } finally {
      await sqlite.close();
      await postgres.close();
    }

    const again = await admin(['migrate-to-postgres', '--data-dir', dataDir, '--database-url', url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /target is not empty/);

    // The cluster serves the migrated data: a node on PostgreSQL (with a fresh data dir) lets Ann log in and read.
    const nodeDir = mkdtempSync(join(tmpdir(), 'parley-node-'));
    dirs.push(nodeDir);
    await using node = await startTestServer({ PARLEY_DATABASE_URL: url }, { dataDir: nodeDir });
    const client = newClient(node.url, ann.userId, ann.deviceId, ann.deviceKey, ann.store);
    await client.start();
    await waitFor(() => client.timeline(group.chatId).some((i) => i.text === 'joined by invite') && (client.log(group.chatId).at(-1)?.seq ?? 0) >= (groupEnd ?? 1), { what: 'ann reads the group from the cluster' });
    // R96: the channel's signed post moved byte for byte: it still verifies.
    const movedPage = await client.channels.log(channel.channelId, 0);
    const moved = movedPage.posts;
    assert.deepEqual(moved.map((p) => p.verified && p.text), ['channel post moved to PG']);
    assert.deepEqual((await client.channels.pollVotes(channel.channelId, [{ postSeq: channelPost.postSeq, poll: channelPost.poll! }])).map((v) => v.votes), [[1, 0]], 'R198: the votes moved');
    // R125: the signed log head moved with the channel's row.
    assert.deepEqual([movedPage.integrity.head?.seq, movedPage.integrity.problem], [1, undefined]);
    assert.equal((await client.channels.scheduled(channel.channelId)).length, 1);
    assert.equal((await client.channels.discussion(channel.channelId))?.chatId, talk?.chatId);
    await client.stop();
  });

  it('refuses a SQLite database at another migration than PostgreSQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
    dirs.push(dataDir);
    const behind = SqliteStorage.open(join(dataDir, 'parley.sqlite'));
    await behind.close();
    const db = new Database(join(dataDir, 'parley.sqlite'));
    db.exec('DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)');
    db.close();
    const url = await freshDatabase();
    const run = await admin(['migrate-to-postgres', '--data-dir', dataDir, '--database-url', url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /schemas differ: SQLite is at migration \d+, this release at \d+/);
  });
});
