import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sessionRest } from '@parley/client';
import { startTestServer, rejectsWithCode as rejects } from '@parley/testing';
import { userPool } from './private-channel.ts';

/** Scheduled posts of wrapped channels with photos, files and polls (docs/PROTOCOL.md R192, on R188). Public channels' are in channels-schedule.test.ts. */

const { users, stopAll } = userPool();
afterEach(stopAll);

/** The server's clock, held still and moved by hand (the schedule's and the blob sweep's). */
class HeldClock {
  held = Date.now();
  now(): number {
    return this.held;
  }
}
const MIN = 60_000;

describe('scheduled wrapped posts with files and polls (R192)', () => {
  it('R192 a wrapped post scheduled with a photo keeps it through the sweep of unreferenced uploads and a re-seal after a removal, and is published with it (readers open it); a poll is scheduled too; a cancelled one\'s upload is swept; another\'s upload is refused', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({
      PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '0', PARLEY_BLOB_GC_INTERVAL_MS: '0', PARLEY_BLOB_UNREFERENCED_TTL_MS: String(MIN),
    }, { clock });
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Harbour photos', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);

    // Within R188's 10 minutes of the readers' real clocks, and past the uploads' TTL (a minute here).
    const at = clock.held + 5 * MIN;
    const photo = new TextEncoder().encode('JPEG-BYTES: the harbour at dawn');
    const file = (bytes: Uint8Array, name: string, mime: string) => ({ source: new Blob([bytes as BlobPart]), name, mime, size: bytes.length });
    const withPhoto = await ann.client.wrappedChannels.schedule(id, 'Dawn over the harbour', at, { files: [{ ...file(photo, 'dawn.jpg', 'image/jpeg'), width: 640, height: 480 }] });
    const poll = await ann.client.wrappedChannels.schedule(id, '', at + MIN, { poll: { question: 'Ferry or bus on Monday?', options: ['Ferry', 'Bus'] } });
    const dropped = new TextEncoder().encode('PDF-BYTES: old timetable');
    const cancelled = await ann.client.wrappedChannels.schedule(id, 'Old timetable', at + 2 * MIN, { files: [file(dropped, 'old.pdf', 'application/pdf')] });
    const cancelledBlob = cancelled.attachments?.[0]?.blobId ?? '';
    await ann.client.wrappedChannels.cancelScheduled(id, cancelled.id);
    const shown = async () => (await ann.client.wrappedChannels.scheduled(id)).map((s) => [s.id, s.text, s.attachments?.map((a) => a.name), s.poll?.question, s.epoch, s.stale]);
    assert.deepEqual(await shown(), [[withPhoto.id, 'Dawn over the harbour', ['dawn.jpg'], undefined, 1, false], [poll.id, undefined, undefined, 'Ferry or bus on Monday?', 1, false]]);

    // Someone else's upload (Ben's) is refused as a post's would be (R162).
    const bens = await ben.client.channels.uploadFile(new Uint8Array([1, 2, 3]), { mime: 'image/png' });
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    const { epoch } = await ann.client.wrappedChannels.current(id);
    await rejects(annRest('PUT', `/communities/${id}/wrapped-scheduled/sched_ann_bens1`, { epoch: epoch?.epoch, body: 'A'.repeat(64), publishAt: at, blobs: [bens.blobId] }), 'blob_not_found');

    // Past the TTL, the sweep of unreferenced uploads takes the cancelled post's and Ben's; the scheduled photo stays.
    clock.held += 2 * MIN;
    const photoBlob = withPhoto.attachments?.[0]?.blobId ?? '';
    const stored = (blobId: string) => existsSync(join(server.dataDir, 'blobs', blobId));
    assert.equal((await server.services.files.sweep()).deleted, 2);
    assert.deepEqual([stored(photoBlob), stored(cancelledBlob), stored(bens.blobId)], [true, false, false]);

    // Cat is removed: both posts go stale; listing on Ann's device opens epoch 2 and re-seals them, the photo named again.
    clock.held += 1000;
    await ann.client.communities.remove(id, cat.userId);
    assert.deepEqual((await ann.client.wrappedChannels.scheduled(id)).map((s) => [s.attachments?.[0]?.blobId, s.epoch, s.stale]), [[photoBlob, 2, false], [undefined, 2, false]]);
    const listed = await annRest<{ scheduled: { id: string; blobs?: string[] }[] }>('GET', `/communities/${id}/wrapped-scheduled`);
    assert.deepEqual(listed.scheduled.map((s) => s.blobs), [[photoBlob], undefined]);

    // At their time both go out; Ben opens the photo and sees the poll, as any post's.
    clock.held = at + 2 * MIN;
    assert.deepEqual(await server.services.wrappedSchedule.sweep(), { published: 2, stale: 0, dropped: 0 });
    const posts = (await ben.client.wrappedChannels.read(id)).filter((p) => p.verified && p.scheduled);
    const [pic, vote] = posts;
    assert.ok(pic?.verified && vote?.verified && pic.attachments?.[0]);
    assert.deepEqual([pic.text, pic.date, pic.attachments.map((a) => [a.name, a.width])], ['Dawn over the harbour', at, [['dawn.jpg', 640]]]);
    assert.deepEqual(new Uint8Array(await (await ben.client.downloadAttachment(pic.attachments[0])).arrayBuffer()), photo);
    assert.deepEqual([vote.poll?.question, vote.poll?.options], ['Ferry or bus on Monday?', ['Ferry', 'Bus']]);
    // Published, the photo is the post's: later sweeps keep it.
    clock.held += 3 * 24 * 60 * MIN;
    assert.equal((await server.services.files.sweep()).deleted, 0);
    assert.ok(stored(photoBlob));
  });
});
