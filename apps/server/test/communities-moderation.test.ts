import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { itemOfEntry, RestApi, type ParleyClient } from '@parley/client';
import { createUser, newClient, startTestServer, tappedWebSocket, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';
import { RawPeer } from './raw.ts';

/** Moderation in communities (docs/PROTOCOL.md R80-R86) through the real server and SDK, end-to-end encrypted. */

const GROUP_FORMED = 60_000;
const root = fileURLToPath(new URL('../../..', import.meta.url));
const api = async (u: TestUser) => new RestApi(u.baseUrl, await u.store.getMeta('session-token'));
const item = (client: ParleyClient, chatId: string, text: string) => client.timeline(chatId).find((i) => i.franked?.text === text || i.text === text);
const moderationLines = (client: ParleyClient, chatId: string) => client.timeline(chatId).flatMap((i) => (i.system?.kind === 'moderation' ? [i.system.action] : []));

/** Ann's community; the others joined by invite; every device is in the general chat's group. */
async function community(users: TestUser[]) {
  const [owner, ...others] = users;
  if (!owner) throw new Error('no owner');
  const c = await owner.client.communities.create({ name: 'Lenina 12' });
  const { token } = await owner.client.communities.createInvite(c.communityId);
  for (const u of others) await u.client.communities.joinInvite(token);
  const general = (await owner.client.communities.chats(c.communityId)).find((x) => x.kind === 'general')?.chatId;
  if (!general) throw new Error('no general chat');
  await waitFor(async () => (await owner.client.encryptionMembers(general)).length === users.length, { what: 'every device in the general chat\'s group', timeoutMs: GROUP_FORMED });
  for (const u of others) await waitFor(async () => (await u.client.encryptionMembers(general)).length === users.length, { what: `${u.displayName} in the group`, timeoutMs: GROUP_FORMED });
  return { communityId: c.communityId, announcements: c.announcementsChatId, general };
}

async function sendAndSee(from: TestUser, to: TestUser[], chatId: string, text: string): Promise<string> {
  const id = await from.client.sendText(chatId, text);
  for (const u of to) await waitFor(() => item(u.client, chatId, text) !== undefined, { what: `${u.displayName} reads "${text}"`, timeoutMs: GROUP_FORMED });
  return id;
}

describe('community moderation (R80-R86)', () => {
  it('R80 R81 an admin with deleteMessages deletes a member\'s message on every device, with a line saying who; a deletion by a device that still thinks it holds a right taken from it is ignored everywhere; R139 a server-made admin\'s deletion is ignored and the server\'s line marked; R159 an admin\'s device holds a deletion until the owner\'s signed statement of the right', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    const users = await Promise.all(['Ann', 'Ben', 'Cat', 'Dan'].map((displayName) => createUser(server.url, { displayName })));
    const [ann, ben, cat, dan] = users as [TestUser, TestUser, TestUser, TestUser];
    const c = await community(users);
    await ann.client.communities.setMember(c.communityId, ben.userId, { role: 'admin', rights: ['deleteMessages'] });
    await waitFor(() => ben.client.chat(c.general)?.community?.moderators?.some((m) => m.userId === ben.userId && m.rights.includes('deleteMessages')) === true,
      { what: 'Ben\'s device knows his right' });
    // R159: he acts at once; his device holds each action until Ann's signed statement of his right is in its log.
    const spam = await sendAndSee(cat, [ann, ben, dan], c.general, 'Cheap watches, DM me');
    const kept = await sendAndSee(cat, [ann, ben, dan], c.general, 'Meeting at 7 in the lobby');

    // A member without the right: the SDK refuses at once.
    await rejects(dan.client.deleteMessage(c.general, spam), 'forbidden');
    await ben.client.deleteMessage(c.general, spam);
    for (const u of users) {
      await waitFor(() => u.client.timeline(c.general).find((i) => i.id === spam)?.deleted === true, { what: `the spam deleted on ${u.displayName}'s device`, timeoutMs: GROUP_FORMED });
      const line = u.client.timeline(c.general).find((i) => i.notice === 'deleted_by_moderator');
      assert.deepEqual([line?.senderUserId, line?.deletedOf?.senderUserId], [ben.userId, cat.userId], `${u.displayName} sees who deleted whose message`);
      assert.equal(u.client.timeline(c.general).find((i) => i.id === spam)?.deletedBy, ben.userId);
    }

    // The right is taken while Ben's device is away; it comes back with its old summary and deletes at once.
    await ben.client.stop();
    await ann.client.communities.setMember(c.communityId, ben.userId, { rights: [] });
    const stale = newClient(server.url, ben.userId, ben.deviceId, ben.deviceKey, ben.store);
    await stale.start();
    await stale.deleteMessage(c.general, kept); // its summary still says it may: sent, the server can't judge it
    await waitFor(() => stale.outbox().length === 0 && stale.connectionState === 'online', { what: 'the stale deletion reached the log', timeoutMs: GROUP_FORMED });
    const deletionSeq = stale.log(c.general).at(-1)?.seq ?? 0;
    for (const u of [ann, cat, dan]) {
      await waitFor(() => (u.client.log(c.general).at(-1)?.seq ?? 0) >= deletionSeq, { what: `${u.displayName} has the deletion`, timeoutMs: GROUP_FORMED });
      const rightsLine = u.client.timeline(c.general).find((i) => i.system?.kind === 'moderation' && i.system.action === 'rights_changed' && i.system.userId === ben.userId && i.system.rights?.length === 0);
      assert.ok(rightsLine, `${u.displayName} sees the rights change`);
      assert.equal(u.client.timeline(c.general).find((i) => i.id === kept)?.deleted, false, `${u.displayName} still shows the message`);
    }
    await waitFor(() => stale.timeline(c.general).find((i) => i.id === kept)?.deleted === false && stale.chat(c.general)?.community?.moderators?.find((m) => m.userId === ben.userId)?.rights.length === 0,
      { what: 'Ben\'s own device agrees once it has the log and summary' });

    // R139: a malicious server makes Dan an admin with deleteMessages as if Ann had (its own domain
    // call, no request from her device): his summary and a rights line say so, the owner's signed standing (R138) does not.
    await server.services.communities.setMember({ userId: ann.userId, deviceId: ann.deviceId }, c.communityId, dan.userId, { role: 'admin', rights: ['deleteMessages'] });
    await waitFor(() => dan.client.chat(c.general)?.community?.moderators?.some((m) => m.userId === dan.userId) === true, { what: 'Dan\'s device believes the server' });
    const flat = await sendAndSee(cat, [ann, dan], c.general, 'My flat is for sale');
    await sendAndSee(dan, [ann, cat], c.general, 'Is it still free?'); // Dan's device sends here without delay
    await dan.client.deleteMessage(c.general, flat); // the SDK's own check reads the (forged) summary
    // R159: Dan's device holds it (no signed statement grants him the right): the others would ignore it.
    assert.equal(dan.client.communities.rightsAwaited(c.general), true, 'Dan\'s device waits for the owner\'s confirmation');
    const forgedSeq = dan.client.log(c.general).at(-1)?.seq ?? 0;
    for (const u of [ann, cat]) {
      await waitFor(() => (u.client.log(c.general).at(-1)?.seq ?? 0) >= forgedSeq, { what: `${u.displayName} has Dan's log`, timeoutMs: GROUP_FORMED });
      assert.equal(u.client.timeline(c.general).find((i) => i.id === flat)?.deleted, false, `${u.displayName} still shows Cat's message`);
      const forgedLine = u.client.timeline(c.general).find((i) => i.system?.kind === 'moderation' && i.system.action === 'rights_changed' && i.system.userId === dan.userId);
      assert.equal(forgedLine?.unconfirmed, true, `${u.displayName} marks the server's line as not signed by the owner`);
      assert.deepEqual(u.client.communities.rightsDisputes(c.general), [dan.userId], `${u.displayName}'s SDK names whom the server and the owner disagree on`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(dan.client.outbox().some((o) => o.content?.kind === 'delete' && o.attempts === 0 && !o.failedCode), 'the deletion is still held on Dan\'s device, never sent');
    // R159: once Ann's device states the right, the held deletion goes out after it and counts on every device.
    await ann.client.communities.setMember(c.communityId, dan.userId, { role: 'admin', rights: ['deleteMessages'] });
    for (const u of [ann, cat, dan]) await waitFor(() => u.client.timeline(c.general).find((i) => i.id === flat)?.deleted === true, { what: `Cat's message deleted on ${u.displayName}'s device`, timeoutMs: GROUP_FORMED });
    assert.equal(dan.client.communities.rightsAwaited(c.general), false);
    for (const u of [ann, cat, dan]) await u.client.stop();
    await stale.stop();
  });

  it('R81 R82 a mute refuses the member\'s sends until lifted; slow mode refuses a member\'s second send with the wait, admins exempt; each leaves an audit line; R156 a mute and a ban the server writes alone show as not signed', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    const users = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    const [ann, ben, cat] = users as [TestUser, TestUser, TestUser];
    const c = await community(users);
    await ann.client.communities.setMember(c.communityId, ben.userId, { role: 'admin', rights: ['ban', 'manageChats'] });

    await ben.client.communities.mute(c.communityId, cat.userId, Date.now() + 3_600_000);
    await waitFor(() => cat.client.chat(c.general)?.community?.mutedUntil !== undefined, { what: 'Cat\'s device knows she is muted' });
    const muted = await cat.client.sendText(c.general, 'Why was the water off?');
    await waitFor(() => cat.client.outbox().find((o) => o.clientMsgId === muted)?.failedCode === 'community_muted', { what: 'refused: community_muted', timeoutMs: GROUP_FORMED });
    assert.deepEqual((await ann.client.communities.mutes(c.communityId)).map((m) => [m.userId, m.by]), [[cat.userId, ben.userId]]);
    await ben.client.communities.unmute(c.communityId, cat.userId);
    await sendAndSee(cat, [ann], c.general, 'Unmuted now');
    for (const u of users) await waitFor(() => (['muted', 'unmuted'] as const).every((a) => moderationLines(u.client, c.general).includes(a)), { what: `${u.displayName} sees the mute lines` });
    // R156: the server writes a mute and a ban of Cat as Ben's that no admin stated (its own domain calls, no request):
    // every device shows both "(not signed: ignored)", and Ben's signed mute and unmute as they are.
    // Devices judge sanction lines from a chat's first statement on: Ben's are in the log first (R159 held them for Ann's).
    await waitFor(() => ben.client.outbox().length === 0, { what: 'Ben\'s statements sent', timeoutMs: GROUP_FORMED });
    const asBen = { userId: ben.userId, deviceId: ben.deviceId };
    await server.services.communities.auditInChatsOf(asBen, c.communityId, cat.userId, { kind: 'moderation', action: 'muted', userId: cat.userId, untilMs: Date.now() + 3_600_000 });
    await server.services.chats.auditLine(asBen, c.announcements, { kind: 'moderation', action: 'banned', userId: cat.userId });
    const sanctionLines = (client: ParleyClient, chatId: string) => client.timeline(chatId).flatMap((i) => (i.system?.kind === 'moderation' && i.system.action !== 'rights_changed' ? [`${i.system.action}${i.unconfirmed ? ' (not signed)' : ''}`] : []));
    for (const u of users) {
      await waitFor(() => sanctionLines(u.client, c.general).length === 3 && sanctionLines(u.client, c.announcements).includes('banned (not signed)'), { what: `${u.displayName} has the forged lines` });
      assert.deepEqual(sanctionLines(u.client, c.general), ['muted', 'unmuted', 'muted (not signed)'], `${u.displayName}'s device ignores the forged mute`);
    }

    await ben.client.communities.setSlowMode(c.communityId, c.general, 60_000);
    await waitFor(() => cat.client.chat(c.general)?.community?.slowModeMs === 60_000, { what: 'Cat\'s device knows slow mode' });
    await sendAndSee(cat, [ann], c.general, 'First in slow mode');
    const second = await cat.client.sendText(c.general, 'Second too soon');
    await waitFor(() => cat.client.outbox().find((o) => o.clientMsgId === second)?.failedCode === 'slow_mode', { what: 'refused: slow_mode', timeoutMs: GROUP_FORMED });
    // The wait comes with the refusal: seconds to retry, and the ms in the message.
    const peer = await RawPeer.authed(server.url, cat.deviceId, (d) => cat.deviceKey.sign(d));
    const refused = await peer.request({ type: 'send', rid: 'slow_1', chatId: c.general, clientMsgId: 'raw_slow_mode_1', envelope: { contentType: 'parley/plain+json', payload: '' } });
    assert.equal(refused['code'], 'slow_mode');
    assert.ok(Number(refused['retryAfter']) > 30 && Number(refused['retryAfter']) <= 60, `retryAfter ${String(refused['retryAfter'])}`);
    assert.match(String(refused['message']), /in \d+ ms/);
    peer.ws.close();
    await sendAndSee(ben, [cat], c.general, 'Admins are exempt 1');
    await sendAndSee(ben, [cat], c.general, 'Admins are exempt 2');
    await ben.client.communities.setSlowMode(c.communityId, c.general, 0);
    await waitFor(() => cat.client.chat(c.general)?.community?.slowModeMs === undefined, { what: 'slow mode off on Cat\'s device' });
    await sendAndSee(cat, [ann], c.general, 'After slow mode');
    for (const u of users) await waitFor(() => moderationLines(u.client, c.general).filter((a) => a === 'slow_mode').length === 2, { what: `${u.displayName} sees the slow mode lines` });
    for (const u of users) await u.client.stop();
  });

  it('R83 R84 a report with the franked text is accepted and reaches the admins; one with the text changed or another message\'s key is refused', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    const users = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    const [ann, ben, cat] = users as [TestUser, TestUser, TestUser];
    const c = await community(users);
    const reported: string[] = [];
    ann.client.on('community', (e) => { if (e.report) reported.push(e.report); });
    const insult = await sendAndSee(ben, [cat], c.general, 'You are all idiots');
    await sendAndSee(ben, [cat], c.general, 'Another message');
    const seen = cat.client.timeline(c.general).find((i) => i.id === insult);
    assert.ok(seen?.franked && seen.seq !== null, 'Cat\'s copy carries the franking key');

    const report = await cat.client.communities.report(c.communityId, c.general, insult, 'insults');
    assert.deepEqual([report.senderUserId, report.reporterUserId, report.text, report.reason], [ben.userId, cat.userId, 'You are all idiots', 'insults']);
    await waitFor(() => reported.includes(report.reportId), { what: 'the owner\'s device hears of the report' });
    assert.deepEqual((await ann.client.communities.reports(c.communityId)).map((r) => [r.reportId, r.text, r.senderUserId]), [[report.reportId, 'You are all idiots', ben.userId]]);
    await rejects(cat.client.communities.reports(c.communityId), 'forbidden');

    // Forged: the same position and key with other words; or the key of another message.
    const other = cat.client.timeline(c.general).find((i) => i.franked?.text === 'Another message');
    const catApi = await api(cat);
    const body = { chatId: c.general, seq: seen.seq, clientMsgId: insult, text: 'You are all geniuses', frankingKey: seen.franked.key };
    await rejects(catApi.call('POST', `/communities/${c.communityId}/reports`, body), 'report_invalid');
    await rejects(catApi.call('POST', `/communities/${c.communityId}/reports`, { ...body, text: seen.franked.text, frankingKey: other?.franked?.key }), 'report_invalid');
    await rejects(catApi.call('POST', `/communities/${c.communityId}/reports`, { ...body, text: seen.franked.text, seq: seen.seq + 1 }), 'report_invalid');
    assert.equal((await ann.client.communities.reports(c.communityId)).length, 1, 'nothing stored for a forged report');
    // The operator reads it too, with the admin CLI on the data dir.
    const lines = execFileSync(process.execPath, ['apps/server/bin/parley-admin.mjs', 'community-reports', '--data-dir', server.dataDir], { cwd: root })
      .toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l['communityId'], l['sender'], l['reporter'], l['text'], l['reason']]), [[c.communityId, ben.userId, cat.userId, 'You are all idiots', 'insults']]);
    for (const u of users) await u.client.stop();
  });

  it('R83b receivers check each commitment: a modified app that gives a false one or none makes its own message unreportable, and every receiver shows it so', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    // Dan's app is modified: it rewrites the commitment of the `send` frames it is told to.
    let tamper: 'none' | 'false' | undefined;
    const WebSocket = tappedWebSocket({
      send(data, io) {
        const frame = JSON.parse(data) as { type?: string; frank?: string };
        if (frame.type !== 'send' || tamper === undefined || frame.frank === undefined) return io.out();
        if (tamper === 'none') delete frame.frank;
        else frame.frank = Buffer.alloc(32, 9).toString('base64');
        io.out(JSON.stringify(frame));
      },
    });
    const [ann, ben, dan] = await Promise.all([
      createUser(server.url, { displayName: 'Ann' }), createUser(server.url, { displayName: 'Ben' }),
      createUser(server.url, { displayName: 'Dan', client: { WebSocket } }),
    ]) as [TestUser, TestUser, TestUser];
    const c = await community([ann, ben, dan]);
    const honest = await sendAndSee(dan, [ann, ben], c.general, 'An honest line');
    tamper = 'false';
    const falseTag = await sendAndSee(dan, [ann, ben], c.general, 'Words with a false commitment');
    tamper = 'none';
    const noTag = await sendAndSee(dan, [ann, ben], c.general, 'Words with no commitment');
    tamper = undefined;
    for (const u of [ann, ben]) {
      const view = (id: string) => u.client.timeline(c.general).find((i) => i.id === id);
      assert.deepEqual([view(honest)?.franked?.text, view(honest)?.unfranked], ['An honest line', undefined], `${u.displayName}: the honest message is reportable`);
      for (const id of [falseTag, noTag]) {
        assert.deepEqual([view(id)?.franked, view(id)?.unfranked], [undefined, true], `${u.displayName}: ${view(id)?.text} shows as unreportable`);
      }
    }
    await rejects(ben.client.communities.report(c.communityId, c.general, falseTag), 'bad_request');
    const reported = await ben.client.communities.report(c.communityId, c.general, honest, 'spam');
    assert.equal(reported.senderUserId, dan.userId);
    // What Ben's device shows after a restart, from the log it stored, is the same.
    await ben.client.stop();
    await ben.client.start();
    assert.equal(ben.client.timeline(c.general).find((i) => i.id === falseTag)?.unfranked, true);
    for (const u of [ann, ben, dan]) await u.client.stop();
  });

  it('R122 an edit is franked like a text: a message edited into an insult is reported as edited, naming its sender; an edit with a false commitment leaves it unreportable', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    // Dan's app is modified for the second edit: it gives a false commitment with it.
    let tamper = false;
    const WebSocket = tappedWebSocket({
      send(data, io) {
        const frame = JSON.parse(data) as { type?: string; frank?: string };
        if (frame.type !== 'send' || !tamper || frame.frank === undefined) return io.out();
        frame.frank = Buffer.alloc(32, 7).toString('base64');
        io.out(JSON.stringify(frame));
      },
    });
    const [ann, ben, dan] = await Promise.all([
      createUser(server.url, { displayName: 'Ann' }), createUser(server.url, { displayName: 'Ben' }),
      createUser(server.url, { displayName: 'Dan', client: { WebSocket } }),
    ]) as [TestUser, TestUser, TestUser];
    const c = await community([ann, ben, dan]);
    const view = (u: TestUser, id: string) => u.client.timeline(c.general).find((i) => i.id === id);
    const original = await sendAndSee(dan, [ann, ben], c.general, 'Nice weather today');
    const originalSeq = view(ben, original)?.seq ?? 0;
    await dan.client.edit(c.general, original, 'You are all idiots');
    for (const u of [ann, ben]) {
      await waitFor(() => view(u, original)?.text === 'You are all idiots', { what: `${u.displayName} sees the edit`, timeoutMs: GROUP_FORMED });
      const seen = view(u, original);
      assert.equal(seen?.franked?.text, 'You are all idiots', `${u.displayName}: the edited words are what a report shows`);
      assert.ok(seen?.franked?.clientMsgId !== original && (seen?.franked?.seq ?? 0) > originalSeq, `${u.displayName}: the proof is the edit's entry`);
      assert.equal(seen?.unfranked, undefined);
    }
    // Ben's device sends an edit of Dan's message: every device ignores it (only a message's sender edits it).
    await ben.client.edit(c.general, original, 'Ben put these words here');
    await sendAndSee(ben, [ann], c.general, 'After my edit attempt');
    assert.equal(view(ann, original)?.text, 'You are all idiots');

    const report = await ann.client.communities.report(c.communityId, c.general, original, 'insult after an edit');
    assert.deepEqual([report.text, report.senderUserId, report.reporterUserId], ['You are all idiots', dan.userId, ann.userId]);
    assert.equal(report.clientMsgId, view(ann, original)?.franked?.clientMsgId, 'the report names the edit\'s entry');
    assert.equal(itemOfEntry(ann.client.timeline(c.general), report.clientMsgId)?.id, original, 'a moderator\'s device finds the message it edited');
    // The words as first sent, with their key, at the edit's position: refused.
    const first = { chatId: c.general, seq: report.seq, clientMsgId: report.clientMsgId, text: 'Nice weather today', frankingKey: view(ann, original)?.franked?.key };
    await rejects((await api(ben)).call('POST', `/communities/${c.communityId}/reports`, first), 'report_invalid');

    // An edit whose commitment does not open: applied (its sender did send it) but unreportable everywhere.
    tamper = true;
    await dan.client.edit(c.general, original, 'Idiots, all of you, and no proof');
    for (const u of [ann, ben]) {
      await waitFor(() => view(u, original)?.text === 'Idiots, all of you, and no proof', { what: `${u.displayName} sees the false-tag edit`, timeoutMs: GROUP_FORMED });
      assert.deepEqual([view(u, original)?.franked, view(u, original)?.unfranked], [undefined, true], `${u.displayName}: shown as unreportable`);
    }
    tamper = false;
    await rejects(ben.client.communities.report(c.communityId, c.general, original), 'bad_request');
    assert.deepEqual((await ann.client.communities.reports(c.communityId)).map((r) => [r.text, r.senderUserId]), [['You are all idiots', dan.userId]]);
    for (const u of [ann, ben, dan]) await u.client.stop();
  });

  it('R83 a file\'s caption and a forward are franked too: each is reportable, naming who posted it in this chat', { timeout: 240_000 }, async () => {
    await using server = await startTestServer();
    const users = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    const [ann, ben, cat] = users as [TestUser, TestUser, TestUser];
    const c = await community(users);
    const bytes = new TextEncoder().encode('%PDF-1.4 minutes');
    const captioned = await ben.client.sendFiles(c.general, [{ source: new Blob([bytes]), name: 'minutes.pdf', mime: 'application/pdf', size: bytes.length }], { text: 'Read this, you fools' });
    await waitFor(() => cat.client.timeline(c.general).find((i) => i.id === captioned)?.franked?.text === 'Read this, you fools', { what: 'Cat gets the file with a franked caption', timeoutMs: GROUP_FORMED });
    const report = await cat.client.communities.report(c.communityId, c.general, captioned, 'caption');
    assert.deepEqual([report.text, report.senderUserId], ['Read this, you fools', ben.userId]);

    // Ann forwards Ben's words into the announcements chat: reported there, the words are Ann's post.
    const original = await sendAndSee(ben, [ann], c.general, 'Forward me please');
    await waitFor(async () => (await ann.client.encryptionMembers(c.announcements)).length === users.length, { what: 'every device in the announcements chat\'s group', timeoutMs: GROUP_FORMED });
    const [forwardId] = await ann.client.forward([c.announcements], c.general, original);
    assert.ok(forwardId);
    await waitFor(() => cat.client.timeline(c.announcements).find((i) => i.id === forwardId)?.franked !== undefined, { what: 'Cat gets the franked forward', timeoutMs: GROUP_FORMED });
    const forwarded = await cat.client.communities.report(c.communityId, c.announcements, forwardId);
    assert.deepEqual([forwarded.text, forwarded.senderUserId], ['Forward me please', ann.userId]);
    for (const u of users) await u.client.stop();
  });

  it('R84b a moderator resolves a report once (the first wins, every moderator hears it), members cannot, and the reported text is deleted after the retention time', { timeout: 240_000 }, async () => {
    const RETENTION_MS = 15_000;
    await using server = await startTestServer({ PARLEY_REPORT_RETENTION_MS: String(RETENTION_MS), PARLEY_REPORT_SWEEP_INTERVAL_MS: '250' });
    const users = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    const [ann, ben, cat] = users as [TestUser, TestUser, TestUser];
    const c = await community(users);
    await ann.client.communities.setMember(c.communityId, ben.userId, { role: 'admin', rights: ['ban'] });
    const heard: string[] = [];
    ben.client.on('community', (e) => { if (e.report) heard.push(e.report); });
    const insult = await sendAndSee(cat, [ann], c.general, 'Nobody reads the rules');
    const report = await ann.client.communities.report(c.communityId, c.general, insult);
    assert.equal(report.resolved, undefined, 'a new report is open');
    await waitFor(() => heard.filter((id) => id === report.reportId).length === 1, { what: 'Ben hears of the report' });

    await rejects(cat.client.communities.resolveReport(c.communityId, report.reportId, 'dismissed'), 'forbidden');
    await rejects(api(ann).then((a) => a.call('POST', `/communities/${c.communityId}/reports/${report.reportId}/resolve`, { outcome: 'banned' })), 'bad_request');
    await rejects(ann.client.communities.resolveReport(c.communityId, 'rep_unknown_1', 'acted'), 'not_found');
    const resolved = await ann.client.communities.resolveReport(c.communityId, report.reportId, 'acted');
    assert.deepEqual([resolved.resolved?.by, resolved.resolved?.outcome], [ann.userId, 'acted']);
    await waitFor(() => heard.filter((id) => id === report.reportId).length === 2, { what: 'Ben hears it was resolved' });
    // Ben a moment later: the first moderator's decision stands, and he is told it.
    const again = await ben.client.communities.resolveReport(c.communityId, report.reportId, 'dismissed');
    assert.deepEqual(again.resolved, resolved.resolved);
    assert.deepEqual(await ben.client.communities.reports(c.communityId, 'open'), []);
    assert.deepEqual((await ben.client.communities.reports(c.communityId, 'resolved')).map((r) => [r.reportId, r.resolved?.outcome]), [[report.reportId, 'acted']]);
    const admin = (...args: string[]) => execFileSync(process.execPath, ['apps/server/bin/parley-admin.mjs', 'community-reports', '--data-dir', server.dataDir, ...args], { cwd: root }).toString().trim();
    assert.equal(admin('--open'), '', 'the operator\'s open list is empty');
    assert.equal((JSON.parse(admin()) as { resolved: { outcome: string } }).resolved.outcome, 'acted');

    // Retention: gone from every list once its time is up, and the server holds the text no more.
    await waitFor(async () => (await ann.client.communities.reports(c.communityId)).length === 0, { what: 'the report deleted after retention', timeoutMs: RETENTION_MS + 30_000 });
    assert.equal(admin(), '');
    for (const u of users) await u.client.stop();
  });
});
