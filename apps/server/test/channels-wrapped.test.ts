import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { base64ToBytes, bytesToBase64, foldWrappedEdits, openEpochKey, openPost, sealEpochKey, sessionRest, type StoredMessage } from '@parley/client';
import { MAX_ATTACHMENTS, MAX_THUMBNAIL_CHARS, type MyChannelWrap, type WrappedPost } from '@parley/protocol';
import { addDevice, newClient, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';
import { ChaosProxy } from './chaos-proxy.ts';
import { leaks, serverBytes } from './server-bytes.ts';
import { GROUP_FORMED, inGroup, userPool, follow } from './private-channel.ts';

/** Private channels past the MLS size (docs/PROTOCOL.md R141-R142, R146-R149, R161-R162, R166-R168, R170-R172, R178): an epoch key wrapped per subscriber device. Split from channels-private.test.ts; R182-R188 in channels-wrapped-extras.test.ts. */

const { started, users, stopAll } = userPool();
afterEach(stopAll);


describe('wrapped private channels (R141-R178)', () => {
  it('R141-R142, R146-R147, R149 past the MLS size a private channel wraps an epoch key per subscriber device: subscribers read the signed posts and the channel\'s name; a removed subscriber, and a revoked device of a subscriber, get no wrap of the next epoch, their wraps are pruned, and their old key opens nothing new; a new subscriber gets the current epoch; two admin devices wrapping one device at once store one wrap; outsiders get nothing; the server holds no plaintext nor key', async () => {
    // Small limits: wraps go up two at a time (paging), posts are short.
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAP_BATCH: '2', PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS: '1024' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const channel = await ann.client.communities.create({ name: 'City works, district 4', settings: { channel: true } });
    const id = channel.communityId;
    const rest = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    // One subscriber past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode, for good; subscribers are not in the MLS group.
    assert.equal((await ann.client.communities.get(id)).settings.wrapped, true);
    assert.equal(await server.services.storage.getMember(channel.announcementsChatId, ben.userId), undefined);
    await rejects(ann.client.wrappedChannels.post(id, ''), 'bad_request');
    const mls = await ann.client.communities.create({ name: 'Small one', settings: { channel: true } });
    await rejects(ann.client.wrappedChannels.rekey(mls.communityId), 'channel_not_wrapped');

    assert.deepEqual(await ann.client.wrappedChannels.rekey(id), { epoch: 1, wrapped: 3, skipped: 0 }); // Ann's, Ben's and Cat's devices
    const first = await ann.client.wrappedChannels.post(id, 'Water off on Elm street, Tuesday 9-12');
    for (const u of [ben, cat]) {
      const page = await u.client.wrappedChannels.readPage(id);
      assert.deepEqual(page.posts.map((p) => (p.verified ? [p.text, p.authorId] : p.problem)), [['Water off on Elm street, Tuesday 9-12', ann.userId]]);
      // R147: the channel's name reaches subscribers who are in no MLS group, sealed under the epoch key like a post.
      assert.deepEqual(page.info, { name: 'City works, district 4' });
    }
    // R147: a rename (and a description) reaches them too.
    await ann.client.communities.update(id, { name: 'City works, districts 4-5', description: 'Roadworks and outages' });
    assert.deepEqual((await ben.client.wrappedChannels.readPage(id, first.seq)).info, { name: 'City works, districts 4-5', description: 'Roadworks and outages' });
    assert.deepEqual(await ben.client.wrappedChannels.channelInfo(id), { name: 'City works, districts 4-5', description: 'Roadworks and outages' });
    // Only admins open epochs, wrap and post; a device gets its own wraps only; an outsider gets nothing.
    await rejects(rest(ben)('POST', `/communities/${id}/wrapped-posts`, { epoch: 1, body: 'A'.repeat(64) }), 'channel_admin_only');
    await rejects(rest(ben)('POST', `/communities/${id}/epochs`, { epoch: 2 }), 'channel_admin_only');
    await rejects(rest(ben)('GET', `/communities/${id}/epochs/1/unwrapped`), 'channel_admin_only');
    const bensWraps = (await rest(ben)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps;
    assert.equal(bensWraps.length, 1);
    assert.notEqual(bensWraps[0]?.wrapped, (await rest(cat)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps[0]?.wrapped);
    // Refused input, nothing stored: a skipped epoch, a batch past PARLEY_CHANNEL_WRAP_BATCH, a wrap of another size, a post too long.
    await rejects(rest(ann)('POST', `/communities/${id}/epochs`, { epoch: 3 }), 'channel_rekey_needed');
    const wrap = { userId: cat.userId, deviceId: cat.deviceId, wrapped: 'A'.repeat(104) };
    await rejects(rest(ann)('PUT', `/communities/${id}/epochs/1/wraps`, { wraps: [wrap, wrap, wrap] }), 'payload_too_large');
    await rejects(rest(ann)('PUT', `/communities/${id}/epochs/1/wraps`, { wraps: [{ ...wrap, wrapped: 'A'.repeat(100) }] }), 'bad_request');
    await rejects(rest(ann)('POST', `/communities/${id}/wrapped-posts`, { epoch: 1, body: 'A'.repeat(1028) }), 'channel_post_too_large');
    for (const path of ['/wraps', '/wrapped-posts', '/epochs/current']) await rejects(rest(dan)('GET', `/communities/${id}${path}`), 'not_found');
    await rejects(dan.client.wrappedChannels.read(id), 'not_found');

    // Ben's device keeps its epoch-1 key; Ann removes him: the next post needs a new epoch, which no device of his gets.
    const identity = await ben.client.keyPackages?.identity();
    assert.ok(identity && bensWraps[0]);
    const oldKey = await openEpochKey(base64ToBytes(bensWraps[0].wrapped), identity.signaturePrivateKey, identity.signaturePublicKey, { communityId: id, epoch: 1, userId: ben.userId, deviceId: ben.deviceId });
    await ann.client.communities.remove(id, ben.userId);
    await rejects(rest(ann)('POST', `/communities/${id}/wrapped-posts`, { epoch: 1, body: 'A'.repeat(64) }), 'channel_rekey_needed');
    const fresh = await ann.client.wrappedChannels.post(id, 'New bus route 14 from Monday'); // rekeys first: epoch 2, wrapped for Ann and Cat
    assert.equal((await ann.client.wrappedChannels.current(id)).epoch?.epoch, 2);
    await rejects(rest(ann)('PUT', `/communities/${id}/epochs/2/wraps`, { wraps: [{ userId: ben.userId, deviceId: ben.deviceId, wrapped: bensWraps[0].wrapped }] }), 'not_member');
    await rejects(rest(ben)('GET', `/communities/${id}/wraps`), 'not_found');
    assert.equal((await rest(cat)<{ posts: WrappedPost[] }>('GET', `/communities/${id}/wrapped-posts?after=${first.seq}`)).posts.find((p) => p.seq === fresh.seq)?.epoch, 2);
    for (const epoch of [1, 2]) await assert.rejects(openPost(oldKey, id, epoch, base64ToBytes(fresh.body)), 'the old epoch key opens the new post');
    assert.deepEqual((await cat.client.wrappedChannels.read(id, first.seq)).map((p) => p.verified && p.text), ['New bus route 14 from Monday']);
    assert.equal((await cat.client.wrappedChannels.readPage(id, first.seq)).info?.name, 'City works, districts 4-5', 'the new epoch\'s post carries the channel\'s info');

    // A new subscriber: an admin's device wraps the current epoch for it; the epochs before it stay closed to it.
    // (Ann's online device wraps for him by itself, R149; wrapMissing then finds nothing left.)
    await dan.client.communities.joinInvite(token);
    const dansView = async () => (await dan.client.wrappedChannels.read(id)).map((p) => (p.verified ? p.text : p.problem)).join('|');
    // (The rename's entry, under epoch 1, is marked as the channel's info alone and not counted, R161; epoch 2's entries carry the name, R147.)
    await waitFor(async () => (await dansView()) === 'this device holds no key of its epoch|New bus route 14 from Monday' && (await dan.client.wrappedChannels.channelInfo(id))?.name === 'City works, districts 4-5', { what: 'Dan reads the current epoch only', timeoutMs: 60_000 });
    assert.deepEqual(await ann.client.wrappedChannels.wrapMissing(id), { wrapped: 0, skipped: 0 });

    // R146: Cat's phone, given epoch 2, is revoked (stolen, say) while Cat stays subscribed: the next post needs a new epoch, which the phone never gets.
    const catPhone = await addDevice(cat);
    started.push(catPhone);
    await waitFor(async () => (await catPhone.client.wrappedChannels.read(id, 1)).some((p) => p.verified && p.text === 'New bus route 14 from Monday'), { what: 'Cat\'s phone reads epoch 2', timeoutMs: 60_000 });
    const phoneWrap = (await rest(catPhone)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps.find((w) => w.epoch === 2);
    const phoneIdentity = await catPhone.client.keyPackages?.identity();
    assert.ok(phoneWrap && phoneIdentity);
    const phoneKey = await openEpochKey(base64ToBytes(phoneWrap.wrapped), phoneIdentity.signaturePrivateKey, phoneIdentity.signaturePublicKey, { communityId: id, epoch: 2, userId: cat.userId, deviceId: catPhone.deviceId });
    await catPhone.client.stop(); // (a signed-out device's client would only log its refusals)
    started.splice(started.indexOf(catPhone), 1);
    await cat.client.revokeDevice(catPhone.deviceId);
    assert.equal((await ann.client.wrappedChannels.current(id)).rekeyNeeded, true);
    assert.deepEqual(await server.services.channelWraps.myWraps({ userId: cat.userId, deviceId: catPhone.deviceId }, id, 0), [], 'the revoked phone\'s wraps are pruned');
    await rejects(rest(ann)('POST', `/communities/${id}/wrapped-posts`, { epoch: 2, body: 'A'.repeat(64) }), 'channel_rekey_needed');
    const afterRevoke = await ann.client.wrappedChannels.post(id, 'Tram depot open day on Saturday'); // epoch 3, for Ann's, Cat's and Dan's devices
    assert.equal(afterRevoke.epoch, 3);
    await assert.rejects(openPost(phoneKey, id, afterRevoke.epoch, base64ToBytes(afterRevoke.body)), 'the revoked phone\'s key opens the post made after the revocation');
    await rejects(rest(ann)('PUT', `/communities/${id}/epochs/3/wraps`, { wraps: [{ userId: cat.userId, deviceId: catPhone.deviceId, wrapped: phoneWrap.wrapped }] }), 'device_not_found');
    assert.deepEqual((await cat.client.wrappedChannels.read(id, fresh.seq)).map((p) => p.verified && p.text), ['Tram depot open day on Saturday']);

    // R149: two admin devices answer the same wrap request at once: one wrap per (epoch, device) is kept, the other is answered as not stored.
    const annTablet = await addDevice(ann);
    const catLaptop = await addDevice(cat);
    started.push(annTablet, catLaptop);
    const catIdentity = await cat.client.keyPackages?.identity();
    const laptopIdentity = await catLaptop.client.keyPackages?.identity();
    const catWrap3 = (await rest(cat)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps?after=2`)).wraps[0];
    assert.ok(catIdentity && laptopIdentity && catWrap3?.epoch === 3);
    const key3 = await openEpochKey(base64ToBytes(catWrap3.wrapped), catIdentity.signaturePrivateKey, catIdentity.signaturePublicKey, { communityId: id, epoch: 3, userId: cat.userId, deviceId: cat.deviceId });
    const laptopWrap = async () => ({ wraps: [{ userId: cat.userId, deviceId: catLaptop.deviceId,
      wrapped: bytesToBase64(await sealEpochKey(key3, laptopIdentity.signaturePublicKey, { communityId: id, epoch: 3, userId: cat.userId, deviceId: catLaptop.deviceId })) }] });
    const [fromAnn, fromTablet] = [await laptopWrap(), await laptopWrap()];
    const answers = await Promise.all([rest(ann)<{ stored: number }>('PUT', `/communities/${id}/epochs/3/wraps`, fromAnn), rest(annTablet)<{ stored: number }>('PUT', `/communities/${id}/epochs/3/wraps`, fromTablet)]);
    assert.deepEqual(answers.map((a) => a.stored).sort(), [0, 1]);
    const laptopWraps = (await rest(catLaptop)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps;
    assert.deepEqual(laptopWraps.map((w) => [w.epoch, w.wrappedBy]), [[3, answers[0]?.stored === 1 ? ann.deviceId : annTablet.deviceId]]);
    assert.deepEqual((await catLaptop.client.wrappedChannels.read(id, fresh.seq)).map((p) => p.verified && p.text), ['Tram depot open day on Saturday']);
    // Ben's wraps were pruned at his removal: coming back by the link he gets no key of the epoch he had (only the current one, R149).
    await ben.client.communities.joinInvite(token);
    assert.ok((await rest(ben)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps.every((w) => w.epoch === 3));

    await Promise.all(started.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, base64ToBytes(fresh.body).subarray(0, 20)), 'the scan finds what is there');
    for (const s of ['Water off on Elm', 'New bus route 14', 'Tram depot open day', 'City works', 'Roadworks and outages']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext on the server: ${s}`);
    for (const key of [oldKey, phoneKey]) assert.ok(!leaks(everything, key), 'an epoch key on the server');
  });
  it('R161-R162 a wrapped channel\'s name reaches a subscriber with the epoch key, before any post; a wrapped post carries an encrypted photo and file that subscribers download and a removed one no longer can', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Night trains', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    // R161: the epoch opens with the channel's info as its first entry: Ben reads the name before anything is posted.
    await ann.client.wrappedChannels.rekey(id);
    assert.deepEqual(await ben.client.wrappedChannels.latest(id), { info: { name: 'Night trains' }, post: undefined });
    assert.deepEqual(await ben.client.wrappedChannels.readPage(id), { posts: [], info: { name: 'Night trains' }, last: 1, full: false });

    // R162: a photo and a file, encrypted on Ann's device, their keys sealed in the post.
    const photo = new TextEncoder().encode('PHOTO-BYTES: night train map');
    const pdf = new TextEncoder().encode('PDF-BYTES: winter timetable');
    await ann.client.wrappedChannels.post(id, 'Winter timetable', { files: [
      { source: new Blob([photo]), name: 'map.jpg', mime: 'image/jpeg', size: photo.length, width: 640, height: 480 },
      { source: new Blob([pdf]), name: 'timetable.pdf', mime: 'application/pdf', size: pdf.length },
    ] });
    const [post] = await ben.client.wrappedChannels.read(id);
    assert.ok(post?.verified && post.attachments);
    assert.deepEqual([post.text, ...post.attachments.map((a) => `${a.kind}:${a.name}`)], ['Winter timetable', 'image:map.jpg', 'file:timetable.pdf']);
    assert.equal((await ben.client.wrappedChannels.latest(id)).post?.seq, post.seq, 'the newest entry is the post, and it names the channel');
    const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
    assert.deepEqual(await bytes(await ben.client.downloadAttachment(post.attachments[0]!)), photo);
    assert.deepEqual(await bytes(await cat.client.downloadAttachment(post.attachments[1]!)), pdf);
    // Only the admin's own complete uploads; an outsider gets no bytes; a removed subscriber none any more (R55 follows membership).
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    await rejects(annRest('POST', `/communities/${id}/wrapped-posts`, { epoch: 1, body: 'A'.repeat(64), blobs: ['B'.repeat(22)] }), 'blob_not_found');
    await rejects(annRest('POST', `/communities/${id}/wrapped-posts`, { epoch: 1, body: 'A'.repeat(64), blobs: [post.attachments[0]!.blobId], info: true }), 'bad_request');
    await rejects(dan.client.downloadAttachment(post.attachments[0]!), 'blob_not_found');
    await ann.client.communities.remove(id, cat.userId);
    await rejects(cat.client.downloadAttachment(post.attachments[0]!), 'blob_not_found');

    await Promise.all(started.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    for (const s of ['PHOTO-BYTES', 'PDF-BYTES', 'map.jpg', 'Winter timetable', 'Night trains']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext on the server: ${s}`);
  });
  it('R162 a wrapped post with files is kept on the admin\'s device: the app closed mid-upload, the next start resumes the upload and posts it, once, its file readable by a subscriber', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'River ferry', settings: { channel: true, wrapped: true } });
    await ben.client.communities.joinInvite((await ann.client.communities.createInvite(id)).token);
    // Ann's app, on her device's store, reaches the server through a slow link: the upload takes a few seconds.
    await ann.client.stop();
    const slow = new ChaosProxy(server.port, { maxDelayMs: 40, cutProbability: 0, stallMs: 0 });
    const firstRun = newClient(await slow.listen(), ann.userId, ann.deviceId, ann.deviceKey, ann.store, undefined, { files: { tusChunkBytes: 256 * 1024 } });
    await firstRun.start();
    const video = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
    const posting = firstRun.wrappedChannels.post(id, 'Winter crossings', { files: [{ source: new Blob([video]), name: 'crossing.mp4', mime: 'video/mp4', size: video.length }] });
    posting.catch(() => undefined);
    await waitFor(() => (firstRun.uploads()[0]?.sentBytes ?? 0) > 512 * 1024, { what: 'part of the video uploaded', timeoutMs: 60_000 });
    // The app is closed mid-upload (and its network with it): nothing was posted.
    await firstRun.stop();
    await slow.close();
    const [kept] = await ann.store.listPendingUploads();
    assert.ok(kept?.wrapped && kept.files[0]?.uploadUrl && !kept.files[0].blobId, 'the post is kept, its upload started');
    assert.deepEqual(await ben.client.wrappedChannels.read(id), []);

    // The next start resumes the upload where the server has it and posts.
    const secondRun = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, ann.store);
    await using _second = { [Symbol.asyncDispose]: () => secondRun.stop() };
    await secondRun.start();
    await waitFor(async () => (await ben.client.wrappedChannels.read(id)).length > 0, { what: 'Ben reads the post', timeoutMs: 60_000 });
    await waitFor(async () => (await ann.store.listPendingUploads()).length === 0, { what: 'the kept post dropped once posted' });
    const posts = await ben.client.wrappedChannels.read(id);
    assert.deepEqual(posts.map((p) => (p.verified ? [p.text, p.attachments?.map((a) => a.name)] : p.problem)), [['Winter crossings', ['crossing.mp4']]]);
    const [post] = posts;
    assert.ok(post?.verified && post.attachments?.[0]);
    assert.deepEqual(new Uint8Array(await (await ben.client.downloadAttachment(post.attachments[0])).arrayBuffer()), video);
  });

  it('R162 a wrapped post the server accepted just before the app closed, its kept record not yet dropped, is not posted twice at the next start; one whose upload is refused for good stays, failed, until cancelled', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_MAX_FILE_BYTES: '1000' });
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'River ferry', settings: { channel: true, wrapped: true } });
    await ben.client.communities.joinInvite((await ann.client.communities.createInvite(id)).token);
    await ann.client.stop();
    // The app dies between the server's answer and dropping the record: its store never hears of the drop.
    const store = ann.store;
    const dying = new Proxy(store, { get: (target, key) => {
      if (key === 'deletePendingUpload') return async () => {};
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    } });
    const firstRun = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, dying);
    await firstRun.start();
    const map = new TextEncoder().encode('MAP-BYTES: ferry piers');
    const first = await firstRun.wrappedChannels.post(id, 'New pier timetable', { files: [{ source: new Blob([map]), name: 'piers.png', mime: 'image/png', size: map.length }] });
    await firstRun.stop();
    assert.equal((await store.listPendingUploads()).length, 1, 'the record outlived the post');

    const secondRun = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, store);
    await using _second = { [Symbol.asyncDispose]: () => secondRun.stop() };
    await secondRun.start();
    await waitFor(async () => (await store.listPendingUploads()).length === 0, { what: 'the record dropped after the server answered the post it holds', timeoutMs: 30_000 });
    const posts = await ben.client.wrappedChannels.read(id);
    assert.deepEqual(posts.map((p) => (p.verified ? `${p.seq}:${p.text}` : p.problem)), [`${first.seq}:New pier timetable`]);

    // A file the server refuses (over PARLEY_MAX_FILE_BYTES): the post fails, is kept and listed as failed, and goes when cancelled; nothing is posted.
    const big = new Uint8Array(4000);
    await rejects(secondRun.wrappedChannels.post(id, 'Harbour plan', { files: [{ source: new Blob([big]), name: 'plan.pdf', mime: 'application/pdf', size: big.length }] }), 'file_too_large');
    const [failed] = secondRun.wrappedPending(id);
    assert.deepEqual([failed?.text, failed?.files, failed?.progress.state, failed?.progress.error], ['Harbour plan', ['plan.pdf'], 'failed', 'file_too_large']);
    assert.equal((await store.listPendingUploads())[0]?.failedCode, 'file_too_large');
    await secondRun.cancelUpload(failed!.clientMsgId);
    assert.deepEqual([secondRun.wrappedPending(id), await store.listPendingUploads()], [[], []]);
    assert.equal((await ben.client.wrappedChannels.read(id)).length, 1);
  });

  it('R170-R171 a wrapped channel\'s admins share each epoch key in their MLS group: a second admin\'s device reads a post made right after the first admin rekeys, with no wrap for it, and wraps for a newcomer with it; a demoted admin is taken out of the group, the next post opens a new epoch, and its key never reaches him through the group', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const channel = await ann.client.communities.create({ name: 'Tram news', settings: { channel: true, wrapped: true } });
    const { communityId: id, announcementsChatId: chatId } = channel;
    const { token } = await ann.client.communities.createInvite(id);
    await cat.client.communities.joinInvite(token);
    await ben.client.communities.joinInvite(token);
    // R171: Ben, made an admin who posts, is put in the announcements chat (the admins' group); Cat, a subscriber, is not.
    await ann.client.communities.setMember(id, ben.userId, { role: 'admin', rights: ['postAnnouncements'] });
    await waitFor(async () => (await inGroup(ann.client, chatId)).includes(ben.userId) && (await inGroup(ben.client, chatId)).includes(ann.userId), { what: 'Ben\'s device in the admins\' group', timeoutMs: GROUP_FORMED });
    assert.equal(await server.services.storage.getMember(chatId, cat.userId), undefined);

    // R170: Ann opens epoch 1 and posts; her device sent the key to the group.
    await ann.client.wrappedChannels.rekey(id);
    await ann.client.wrappedChannels.post(id, 'Line 3 diverted via Park street');
    await waitFor(() => !ann.client.outbox().some((o) => o.chatId === chatId), { what: 'the key message sent', timeoutMs: GROUP_FORMED });
    await ann.client.stop(); // no other admin device online: nobody but Ben's own device could wrap for him
    // Ben's device holds no wrap of epoch 1 (as when the wraps of a 100,000-device rekey are still being made, minutes).
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { run(...p: unknown[]): unknown; get(...p: unknown[]): unknown } } }).db;
    db.prepare('DELETE FROM channel_epoch_wraps WHERE device_id = ?').run(ben.deviceId);
    assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM channel_epoch_wraps WHERE device_id = ?').get(ben.deviceId), { n: 0 });
    const shown = async (u: TestUser) => (await u.client.wrappedChannels.read(id)).map((p) => (p.verified ? p.text : p.problem));
    await waitFor(async () => (await shown(ben)).includes('Line 3 diverted via Park street'), { what: 'Ben reads Ann\'s post with the key from the admins\' group', timeoutMs: GROUP_FORMED });
    // R149 with R170: Dan joins while only Ben's device is online; it wraps the epoch for him with the key it took from the group.
    await dan.client.communities.joinInvite(token);
    await waitFor(async () => (await shown(dan)).includes('Line 3 diverted via Park street'), { what: 'Dan reads, wrapped for by Ben\'s device', timeoutMs: 60_000 });
    assert.ok((await sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey)<{ wraps: MyChannelWrap[] }>('GET', `/communities/${id}/wraps`)).wraps.some((w) => w.epoch === 1 && w.wrappedBy === ben.deviceId));

    // R171: Ann demotes Ben while his device is offline keeping its group state: he is taken out of the group, and the next post opens a new epoch.
    const annAgain = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, ann.store);
    started.push({ ...ann, client: annAgain });
    await annAgain.start();
    await ben.client.stop();
    await annAgain.communities.setMember(id, ben.userId, { role: 'member' });
    assert.equal(await server.services.storage.getMember(chatId, ben.userId), undefined);
    assert.equal((await annAgain.wrappedChannels.current(id)).rekeyNeeded, true);
    await waitFor(async () => !(await inGroup(annAgain, chatId)).includes(ben.userId), { what: 'Ben\'s device out of the admins\' group', timeoutMs: GROUP_FORMED });
    const next = await annAgain.wrappedChannels.post(id, 'Line 3 back to normal');
    assert.equal(next.epoch, 2);
    // Epoch 2's key message as Ann's device holds it (her restarted device may still be catching up on older entries).
    const keyMessage = () => annAgain.log(chatId).find((m) => {
      const d = (m as StoredMessage).decoded;
      return d?.kind === 'content' && d.content.kind === 'channel_epoch_key' && d.content.epoch === 2;
    });
    await waitFor(() => !annAgain.outbox().some((o) => o.chatId === chatId) && keyMessage() !== undefined, { what: 'epoch 2\'s key sent to the group', timeoutMs: GROUP_FORMED });
    const bens = await follow(ben, chatId, annAgain.log(chatId));
    assert.ok(!bens.contents.some((c) => c.kind === 'channel_epoch_key' && c.epoch === 2), 'the demoted admin read epoch 2\'s key in the group');
    assert.ok((bens.epochOf(keyMessage()!) ?? 0) > (bens.epoch ?? Infinity), 'the key went out in a group epoch after the one Ben\'s device holds');
    // (Ben stays a subscriber: epoch 2 reaches him as a wrap, as for any subscriber; Cat reads it too.)
    assert.ok((await shown(cat)).includes('Line 3 back to normal'));
  });
  it('R166-R168 a wrapped post gets reactions as tokens the server counts without the emoji; admins edit (readers show the newest signed version) and delete for everyone; a post with the most photos fits; outsiders, removed, banned and non-admins are refused', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAPPED_REACTIONS_PER_MIN: '1000' });
    const [ann, ben, cat, dan, eve] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan', 'Eve');
    if (!ann || !ben || !cat || !dan || !eve) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Tram news', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat, eve]) await u.client.communities.joinInvite(token);
    const palette = ['👍', '❤️', '🔥'];
    const p1 = await ann.client.wrappedChannels.post(id, 'Line 4 diverted');
    const p2 = await ann.client.wrappedChannels.post(id, 'Line 7 on time');
    const post1 = { seq: p1.seq, epoch: p1.epoch };

    // R166: Ben and Cat react; each reader maps the tokens back over its palette; one reaction per user per post, replaced or taken back.
    assert.deepEqual(await ben.client.wrappedChannels.react(id, post1, '👍', palette), { seq: p1.seq, reactions: { '👍': 1 }, mine: '👍', other: 0, views: 0 });
    await cat.client.wrappedChannels.react(id, post1, '❤️', palette);
    await cat.client.wrappedChannels.react(id, post1, '👍', palette);
    await eve.client.wrappedChannels.react(id, post1, '🚋', palette); // not in Ann's palette: counted as other
    const [c1, c2] = await ann.client.wrappedChannels.counts(id, [post1, { seq: p2.seq, epoch: p2.epoch }], palette);
    assert.deepEqual(c1, { seq: p1.seq, reactions: { '👍': 2 }, other: 1, views: 0 });
    assert.deepEqual(c2, { seq: p2.seq, reactions: {}, other: 0, views: 0 });
    await eve.client.wrappedChannels.react(id, post1, null, palette);
    assert.deepEqual((await ann.client.wrappedChannels.counts(id, [post1], palette))[0]?.other, 0);
    // The server holds tokens, not emoji: tokens of one emoji differ between posts.
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    const raw = await benRest<{ counts: { reactions: Record<string, number> }[] }>('GET', `/communities/${id}/wrapped-posts/counts?seqs=${p1.seq}`);
    assert.deepEqual(Object.values(raw.counts[0]?.reactions ?? {}), [2]);
    assert.ok(!JSON.stringify(raw).includes('👍'));
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/reaction`, { token: '👍' }), 'bad_request');
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/999/reaction`, { token: 'a'.repeat(32) }), 'not_found');
    await rejects(benRest('GET', `/communities/${id}/wrapped-posts/counts?seqs=x`), 'bad_request');
    // An outsider, a removed subscriber and a banned one can't react nor read counts (R75: not_found).
    await rejects(dan.client.wrappedChannels.react(id, post1, '👍', palette), 'not_found');
    const catRest = sessionRest(cat.baseUrl, cat.deviceId, cat.deviceKey);
    const eveRest = sessionRest(eve.baseUrl, eve.deviceId, eve.deviceKey);
    await ann.client.communities.remove(id, cat.userId);
    await ann.client.communities.ban(id, eve.userId);
    for (const r of [catRest, eveRest]) {
      await rejects(r('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/reaction`, { token: 'b'.repeat(32) }), 'not_found');
      await rejects(r('GET', `/communities/${id}/wrapped-posts/counts?seqs=${p1.seq}`), 'not_found');
    }

    // R167: Ann edits post 1: a new entry under the current epoch (a new one since Cat left) whose signed plaintext names it.
    const edit = await ann.client.wrappedChannels.edit(id, p1.seq, 'Line 4 diverted via Park Street');
    assert.equal(edit.edits, p1.seq);
    const shown = foldWrappedEdits(await ben.client.wrappedChannels.read(id));
    assert.deepEqual(shown.map((p) => p.verified && [p.seq, p.text, p.edited !== undefined]), [[p1.seq, 'Line 4 diverted via Park Street', true], [p2.seq, 'Line 7 on time', false]]);
    // Only admins edit and delete; an edit of no post (or of an edit) is refused.
    await rejects(benRest('POST', `/communities/${id}/wrapped-posts`, { epoch: edit.epoch, body: 'A'.repeat(64), edits: p1.seq }), 'channel_admin_only');
    await rejects(benRest('DELETE', `/communities/${id}/wrapped-posts/${p1.seq}`), 'channel_admin_only');
    await rejects(ann.client.wrappedChannels.edit(id, 999, 'nothing'), 'not_found');
    await rejects(ann.client.wrappedChannels.edit(id, edit.seq, 'an edit of an edit'), 'not_found');
    // The server can't retarget an edit: the reader goes by the signed target, whatever the server's mark says.
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    const entries = await annRest<{ posts: WrappedPost[] }>('GET', `/communities/${id}/wrapped-posts`);
    assert.equal(entries.posts.find((p) => p.seq === edit.seq)?.edits, p1.seq);

    // R167: Ann deletes post 1 for everyone: its body and its edit's are gone from the server; readers show nothing of it.
    const heard: { seq?: number; deleted?: true }[] = [];
    ben.client.on('wrappedPost', (e) => heard.push(e));
    await ann.client.wrappedChannels.delete(id, p1.seq);
    await waitFor(() => heard.some((e) => e.seq === p1.seq && e.deleted), { what: 'Ben hears of the deletion' });
    assert.deepEqual(foldWrappedEdits(await ben.client.wrappedChannels.read(id)).map((p) => p.verified && p.text), ['Line 7 on time']);
    const after = await annRest<{ posts: WrappedPost[] }>('GET', `/communities/${id}/wrapped-posts`);
    assert.deepEqual(after.posts.filter((p) => p.deleted).map((p) => [p.seq, p.body]), [[p1.seq, ''], [edit.seq, '']]);
    await rejects(ann.client.wrappedChannels.delete(id, p1.seq), 'not_found');
    await rejects(ben.client.wrappedChannels.react(id, post1, '👍', palette), 'not_found');

    // R168: a post with MAX_ATTACHMENTS photos, each with the largest thumbnail, fits (the limit grows per file).
    const thumb = { mediaType: 'image/jpeg' as const, data: 'A'.repeat(MAX_THUMBNAIL_CHARS) };
    const files = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => {
      const bytes = new TextEncoder().encode(`PHOTO ${i}`);
      return { source: new Blob([bytes]), name: `${'photo-'.repeat(40)}${i}.jpg`, mime: 'image/jpeg', size: bytes.length, width: 4000, height: 3000, thumbnail: thumb };
    });
    const album = await ann.client.wrappedChannels.post(id, 'The new trams, ten photos', { files });
    const [opened] = await ben.client.wrappedChannels.read(id, album.seq - 1);
    assert.ok(opened?.verified);
    assert.equal(opened.attachments?.length, MAX_ATTACHMENTS);
    // A post whose base64 body happens to start with an "e" is a post, not an edit (its mark is `e<seq>:`).
    const eBody = await annRest<{ post: WrappedPost }>('POST', `/communities/${id}/wrapped-posts`, { epoch: album.epoch, body: `e${'A'.repeat(63)}` });
    assert.equal(eBody.post.edits, undefined);
    const reacted = await benRest<{ counts: { reactions: Record<string, number> } }>('PUT', `/communities/${id}/wrapped-posts/${eBody.post.seq}/reaction`, { token: 'c'.repeat(32) });
    assert.deepEqual(reacted.counts.reactions, { ['c'.repeat(32)]: 1 });
  });
  it('R178 only a post\'s author edits it; the newest post as a summary shows it is the newest post\'s current text; a deleted post\'s files are swept; a leaver\'s or a banned member\'s reactions stop counting; the epoch key and the admission sent to the admins\' group ask for no push, a text there does', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_BLOB_UNREFERENCED_TTL_MS: '1000' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id, announcementsChatId: chatId } = await ann.client.communities.create({ name: 'Ferry news', settings: { channel: true, wrapped: true } });
    // What each device asks of its sends (R178's quiet: no push), as the server gets them.
    const sends = new Map<string, boolean>();
    const delivery = server.services.delivery;
    const deliver = delivery.send.bind(delivery);
    delivery.send = async (auth, input) => {
      sends.set(input.clientMsgId, input.quiet === true);
      return deliver(auth, input);
    };
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat, dan]) await u.client.communities.joinInvite(token);
    await ann.client.communities.setMember(id, ben.userId, { role: 'admin', rights: ['postAnnouncements'] });
    const photo = new TextEncoder().encode('PHOTO-BYTES: the old pier');
    const file = () => ({ source: new Blob([photo]), name: 'pier.jpg', mime: 'image/jpeg', size: photo.length, width: 64, height: 48 });
    const p1 = await ann.client.wrappedChannels.post(id, 'Ferry at 7:40', { files: [file()] });
    // The epoch key Ann's device sent the admins' group (R170) woke no admin's phone: its send was quiet; her other sends there were not.
    const keyMessages = () => ann.client.log(chatId).filter((m) => {
      const d = (m as StoredMessage).decoded;
      return d?.kind === 'content' && d.content.kind === 'channel_epoch_key';
    });
    await waitFor(() => keyMessages().length === 1 && !ann.client.outbox().some((o) => o.chatId === chatId), { what: 'the key message sent', timeoutMs: GROUP_FORMED });
    // R189: nor did anything else she sent there that is no message to read (her admission of Ben, the channel's name); a text to the admins does wake them.
    const hello = await ann.client.sendText(chatId, 'Admins: the timetable changes on Monday');
    await waitFor(() => !ann.client.outbox().some((o) => o.chatId === chatId), { what: 'the text sent', timeoutMs: GROUP_FORMED });
    const kindOf = (m: StoredMessage) => (m.decoded?.kind === 'content' ? m.decoded.content.kind : m.decoded?.kind);
    const annSends = ann.client.log(chatId).filter((m) => m.senderUserId === ann.userId && m.system === null && sends.has(m.clientMsgId)) as StoredMessage[];
    assert.deepEqual(annSends.filter((m) => !sends.get(m.clientMsgId)).map((m) => [m.clientMsgId, kindOf(m)]), [[hello, 'text']], 'only the text asked for a push');
    assert.ok(annSends.some((m) => kindOf(m) === 'community_admit') && annSends.some((m) => kindOf(m) === 'channel_epoch_key'), 'her admission of Ben and the key went out, quiet');
    const [first] = await cat.client.wrappedChannels.read(id, p1.seq - 1);
    const pier = first?.verified ? first.attachments?.[0] : undefined;
    assert.ok(pier);
    const p2 = await ann.client.wrappedChannels.post(id, 'Ferry at 9:10');
    const summary = async () => {
      const { post } = await cat.client.wrappedChannels.latest(id);
      return post?.verified ? [post.seq, post.text, post.edited !== undefined] : post;
    };

    // An edit of an older post is not the newest post: the summary shows the newest post's text.
    await ann.client.wrappedChannels.edit(id, p1.seq, 'Ferry at 7:40 cancelled');
    assert.deepEqual(await summary(), [p2.seq, 'Ferry at 9:10', false]);
    // The newest post edited by its author: its current text, edited.
    await ann.client.wrappedChannels.edit(id, p2.seq, 'Ferry at 9:10 runs late');
    assert.deepEqual(await summary(), [p2.seq, 'Ferry at 9:10 runs late', true]);
    // Another admin can't edit Ann's post (readers would not count it either); deleting stays any admin's.
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    const { epoch } = await ann.client.wrappedChannels.current(id);
    await rejects(benRest('POST', `/communities/${id}/wrapped-posts`, { epoch: epoch?.epoch, body: 'A'.repeat(64), edits: p1.seq }), 'forbidden');
    await rejects(ben.client.wrappedChannels.edit(id, p2.seq, 'Ferry at 9:10 (Ben)'), 'forbidden');
    await ben.client.wrappedChannels.delete(id, p2.seq);
    // A deleted post is no summary: the newest post left, as edited.
    assert.deepEqual(await summary(), [p1.seq, 'Ferry at 7:40 cancelled', true]);

    // Cat and Dan react to the 7:40 post; Cat leaves and Dan is banned: their reactions no longer count.
    const palette = ['👍', '❤️'];
    const post1 = { seq: p1.seq, epoch: p1.epoch };
    await cat.client.wrappedChannels.react(id, post1, '👍', palette);
    await dan.client.wrappedChannels.react(id, post1, '❤️', palette);
    assert.deepEqual((await ann.client.wrappedChannels.counts(id, [post1], palette))[0]?.reactions, { '👍': 1, '❤️': 1 });
    await cat.client.communities.leave(id);
    await ann.client.communities.ban(id, dan.userId);
    assert.deepEqual((await ann.client.wrappedChannels.counts(id, [post1], palette))[0]?.reactions, {});

    // The 7:40 post is deleted: its photo (no longer shown since the edit, still referenced by the post) is released and swept.
    assert.deepEqual(await new Response(await ann.client.downloadAttachment(pier)).text(), 'PHOTO-BYTES: the old pier');
    await ann.client.wrappedChannels.delete(id, p1.seq);
    await waitFor(async () => (await server.services.files.sweep()).deleted > 0, { what: 'the deleted post\'s photo swept', timeoutMs: 10_000 });
    await rejects(ann.client.downloadAttachment(pier), 'blob_not_found');
  });
  it('R178 an admin\'s device that takes an epoch key from the admins\' group tells its open views to read again (no wrap, no other notice needed)', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const { communityId: id, announcementsChatId: chatId } = await ann.client.communities.create({ name: 'Tide tables', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await ann.client.communities.setMember(id, ben.userId, { role: 'admin', rights: ['postAnnouncements'] });
    await waitFor(async () => (await inGroup(ann.client, chatId)).includes(ben.userId) && (await inGroup(ben.client, chatId)).includes(ann.userId), { what: 'Ben\'s device in the admins\' group', timeoutMs: GROUP_FORMED });
    // No wrap is stored for anyone (as while a 100,000-device rekey's wraps are still being made): no `wrapped_keys` notice.
    server.services.channelWraps.putWraps = async () => ({ stored: 0 });
    const heard: { seq?: number }[] = [];
    ben.client.on('wrappedPost', (e) => { if (e.communityId === id) heard.push(e); });
    const post = await ann.client.wrappedChannels.post(id, 'High tide at 6:12');
    // The post's notice may come before the key message: when the key arrives in the group, his device says so (an event
    // without seq: the web view reads again, as on new wraps), and the post opens with it.
    await waitFor(() => heard.some((e) => e.seq === undefined), { what: 'Ben\'s device tells its views the key came', timeoutMs: GROUP_FORMED });
    const [opened] = await ben.client.wrappedChannels.read(id, post.seq - 1);
    assert.deepEqual(opened?.verified && opened.text, 'High tide at 6:12');
  });
  it('R178 an admin promoted before R171 (not in the admins\' group) is put in when the owner\'s device opens the next epoch, and admitted there by the owner\'s word', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const { communityId: id, announcementsChatId: chatId } = await ann.client.communities.create({ name: 'Harbour', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await ann.client.wrappedChannels.post(id, 'Harbour open');
    // Ben was made an admin by a server before R171: he holds the right, and is in no chat of the channel.
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { run(...p: unknown[]): unknown } } }).db;
    db.prepare("UPDATE community_members SET role = 'admin', rights = 'postAnnouncements' WHERE community_id = ? AND user_id = ?").run(id, ben.userId);
    assert.equal(await server.services.storage.getMember(chatId, ben.userId), undefined);
    // Ann's next post opens a new epoch (Cat left): the server puts Ben in the admins' group; Ann's device admits him there (R152).
    await cat.client.communities.leave(id);
    const next = await ann.client.wrappedChannels.post(id, 'Harbour closed at noon');
    assert.equal(next.epoch, 2);
    assert.ok(await server.services.storage.getMember(chatId, ben.userId));
    const admitted = () => ann.client.log(chatId).some((m) => {
      const d = (m as StoredMessage).decoded;
      return m.senderUserId === ann.userId && d?.kind === 'content' && d.content.kind === 'community_admit' && (d.content.userIds ?? []).includes(ben.userId);
    });
    await waitFor(admitted, { what: 'Ann\'s admission of Ben in the admins\' group', timeoutMs: GROUP_FORMED });
    await waitFor(async () => (await inGroup(ann.client, chatId)).includes(ben.userId), { what: 'Ben\'s device in the admins\' group', timeoutMs: GROUP_FORMED });
    // Nothing is held there for him: the next epoch's key goes out to the group, Ben's device among it.
    await ann.client.wrappedChannels.rekey(id);
    await waitFor(() => !ann.client.outbox().some((o) => o.chatId === chatId), { what: 'Ann\'s sends to the admins\' group went out', timeoutMs: GROUP_FORMED });
  });
  it('R148-R149 a wrapped channel tells its members\' devices of a new post (a notice, never the body; a removed member hears no more), and an admin\'s device wraps the epoch key by itself for a new subscriber, a new device, and on coming online', async () => {
    // Asks for a missing wrap at most every 5 s (60 s by default): an ask that came before Ann's device could wrap is asked again within the wait.
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAP_ASK_MS: '5000' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Harbour notices', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    await ann.client.wrappedChannels.rekey(id);
    const heard = new Map<TestUser, { communityId: string; seq?: number; info?: true }[]>();
    for (const u of [ann, ben, cat, dan]) u.client.on('wrappedPost', (e) => heard.set(u, [...(heard.get(u) ?? []), e]));
    const text = async (u: TestUser) => (await u.client.wrappedChannels.read(id)).map((p) => (p.verified ? p.text : p.problem));

    // R148: Ben's connection hears the new post's seq, and reads it himself; a non-member hears nothing.
    const p1 = await ann.client.wrappedChannels.post(id, 'Ferry at 7:40 cancelled');
    await waitFor(() => heard.get(ben)?.some((e) => e.communityId === id && e.seq === p1.seq) === true, { what: 'Ben hears of post 1' });
    assert.deepEqual(await text(ben), ['Ferry at 7:40 cancelled']);
    assert.equal(heard.get(dan), undefined, 'Dan is no member: no notice');
    // Ann was a member before Ben's join switched the channel to wrapped mode: her connection hears its notices from the switch on, not from her next sign-in.
    await waitFor(() => heard.get(ann)?.some((e) => e.communityId === id && e.seq === p1.seq) === true, { what: 'Ann (the owner, there before the switch) hears of post 1' });

    // R149: Cat joins while Ann's device is online: it wraps the current epoch for her without anyone asking; her device hears the wrap came.
    await cat.client.communities.joinInvite(token);
    await waitFor(async () => (await text(cat))[0] === 'Ferry at 7:40 cancelled', { what: 'Cat reads the post once Ann\'s device wrapped for her', timeoutMs: 60_000 });
    await waitFor(() => heard.get(cat)?.some((e) => e.communityId === id && e.seq === undefined) === true, { what: 'Cat hears of her wrap' });
    // Her joining made her connection hear the channel's notices too.
    const p2 = await ann.client.wrappedChannels.post(id, 'Ferry at 9:10 on time');
    await waitFor(() => heard.get(cat)?.some((e) => e.seq === p2.seq) === true, { what: 'Cat hears of post 2' });

    // R149: a new device of Cat's has no wrap: reading asks, and Ann's device wraps for it.
    const catPhone = await addDevice(cat);
    started.push(catPhone);
    await waitFor(async () => (await text(catPhone)).join('|') === 'Ferry at 7:40 cancelled|Ferry at 9:10 on time', { what: 'Cat\'s new device reads', timeoutMs: 60_000 });

    // R148: a removed member's connections stop hearing the channel's notices (the removal reaches them first).
    const benOut = new Promise<void>((resolve) => ben.client.on('community', (e) => { if (e.communityId === id && e.removed) resolve(); }));
    await ann.client.communities.remove(id, ben.userId);
    await benOut;
    const p3 = await ann.client.wrappedChannels.post(id, 'Harbour office closed on Monday'); // epoch 2 (R142), after the channel's info (R147)
    await waitFor(() => heard.get(cat)?.some((e) => e.seq === p3.seq) === true, { what: 'Cat hears of post 3' });
    // R161: the new epoch's first entry, the channel's info alone, is marked in its notice (chat lists read the name again then only).
    assert.deepEqual(heard.get(cat)?.filter((e) => e.seq !== undefined && e.seq > p2.seq), [{ communityId: id, seq: p3.seq - 1, info: true }, { communityId: id, seq: p3.seq }]);
    assert.ok(!heard.get(ben)?.some((e) => e.seq !== undefined && e.seq > p2.seq), 'Ben, removed, hears of no later post');

    // R149: Dan joins while no admin device is online; when Ann's device comes back it hears the channel needs wraps and wraps for him.
    await ann.client.stop();
    await dan.client.communities.joinInvite(token);
    const noKey = 'this device holds no key of its epoch';
    assert.deepEqual(await text(dan), [noKey, noKey, noKey]);
    const annAgain = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, ann.store);
    started.push({ ...ann, client: annAgain });
    await annAgain.start();
    await waitFor(async () => (await text(dan)).join('|') === `${noKey}|${noKey}|Harbour office closed on Monday`, { what: 'Dan reads the current epoch once Ann\'s device is back', timeoutMs: 60_000 });
  });

});
