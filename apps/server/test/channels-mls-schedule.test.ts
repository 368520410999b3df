import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sessionRest, type ParleyClient } from '@parley/client';
import { startTestServer, waitFor, rejectsWithCode as rejects } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';
import { GROUP_FORMED, inGroup, userPool } from './private-channel.ts';

/** Scheduled posts of private channels in MLS mode (docs/PROTOCOL.md R191). */

const { users, stopAll } = userPool();
afterEach(stopAll);

/** The server's clock: real time, or held still and moved by hand (the sweep reads it). */
class HeldClock {
  held: number | undefined;
  now(): number {
    return this.held ?? Date.now();
  }
}
const MIN = 60_000;
/** The channel's posts as a subscriber's device shows them: text, and the signed date of a scheduled one (and `early`). */
const shown = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable)
  .map((i) => (i.scheduled ? [i.text, i.scheduled.date, i.scheduled.early === true] : i.text));

/** A private channel in MLS mode made by the first user, the others subscribed by its link, its group holding them all. */
async function mlsChannel(url: string, name: string, ...names: string[]) {
  const people = await users(url, ...names);
  const [owner, ...subscribers] = people;
  if (!owner) throw new Error('users');
  const channel = await owner.client.communities.create({ name, settings: { channel: true } });
  const { token } = await owner.client.communities.createInvite(channel.communityId);
  for (const u of subscribers) await u.client.communities.joinInvite(token);
  await waitFor(async () => (await inGroup(owner.client, channel.announcementsChatId)).length === people.length, { what: 'the channel\'s group holds every subscriber', timeoutMs: GROUP_FORMED });
  return { people, id: channel.communityId, chatId: channel.announcementsChatId, token };
}

describe('scheduled posts of MLS-mode private channels (R191)', () => {
  it('R191 only admins schedule, list and cancel; a time past or too far, one post too many, a stale epoch are refused with stable codes; outsiders get not_found; a wrapped channel and a plain send are refused', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_SCHEDULE_MS: String(60 * MIN), PARLEY_CHANNEL_MAX_SCHEDULED: '2' });
    const { people: [ann, ben], id, chatId } = await mlsChannel(server.url, 'Ferry timetable', 'Ann', 'Ben');
    const [dan] = await users(server.url, 'Dan');
    if (!ann || !ben || !dan) throw new Error('users');
    const s = ann.client.channelSchedule;
    await rejects(s.schedule(id, 'too late', Date.now() - 1000), 'channel_schedule_past');
    await rejects(s.schedule(id, 'too far', Date.now() + 61 * MIN), 'channel_schedule_too_far');
    const first = await s.schedule(id, 'Ferry at 7:40 tomorrow', Date.now() + 30 * MIN);
    await s.schedule(id, 'Ferry at 9:10 tomorrow', Date.now() + 20 * MIN);
    await rejects(s.schedule(id, 'one too many', Date.now() + 10 * MIN), 'channel_limit');
    // Replacing one (same id) is an edit, not one more; the author's device reads its own from the copy.
    await s.schedule(id, 'Ferry at 7:45 tomorrow', first.publishAt, { id: first.id });
    assert.deepEqual((await s.scheduled(id)).map((p) => [p.text, p.stale]), [['Ferry at 9:10 tomorrow', false], ['Ferry at 7:45 tomorrow', false]]);

    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    const epoch = (await annRest<{ scheduled: { epoch: number }[] }>('GET', `/communities/${id}/channel-scheduled`)).scheduled[0]?.epoch;
    assert.ok(epoch !== undefined && epoch > 0);
    const put = { epoch, body: 'A'.repeat(64), publishAt: Date.now() + MIN };
    // An epoch the chat is no longer (or not yet) at: readers would derive another key.
    await rejects(annRest('PUT', `/communities/${id}/channel-scheduled/sched_ann_0001`, { ...put, epoch: epoch + 1 }), 'epoch_conflict');
    // Text only: files named with it are refused, not dropped (nothing would hold them, R192).
    await rejects(annRest('PUT', `/communities/${id}/channel-scheduled/sched_ann_0001`, { ...put, blobs: ['AAAAAAAAAAAAAAAAAAAAAA'] }), 'bad_request');
    // Ben is a subscriber, no admin: the server takes no schedule from him, nor shows him the list, nor lets him cancel.
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    await rejects(benRest('PUT', `/communities/${id}/channel-scheduled/sched_ben_0001`, put), 'channel_admin_only');
    await rejects(ben.client.channelSchedule.scheduled(id), 'channel_admin_only');
    await rejects(ben.client.channelSchedule.cancelScheduled(id, first.id), 'channel_admin_only');
    // Dan is no member: nothing of the channel exists for him.
    await rejects(sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey)('GET', `/communities/${id}/channel-scheduled`), 'not_found');
    await rejects(s.cancelScheduled(id, 'sched_nope_0001'), 'not_found');
    await s.cancelScheduled(id, first.id);
    assert.deepEqual((await s.scheduled(id)).map((p) => p.text), ['Ferry at 9:10 tomorrow']);
    // A wrapped channel's scheduled posts are R188's route.
    const wrapped = await ann.client.communities.create({ name: 'Big harbour', settings: { channel: true, wrapped: true } });
    await rejects(annRest('GET', `/communities/${wrapped.communityId}/channel-scheduled`), 'bad_request');
    // A scheduled post reaches the log only through the sweep: a device's `send` of one is refused.
    await rejects(server.services.delivery.send(ann, { chatId, clientMsgId: 'sched_send_01', envelope: { contentType: 'parley/mls-scheduled', payload: 'A'.repeat(64) } }), 'bad_request');
  });

  it('R191 the sweep publishes a scheduled post at its time with the admin\'s devices offline: subscribers read it end to end, at its signed date, marked scheduled; the server holds no plaintext', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '50' }, { clock });
    const { people: [ann, ben], id, chatId } = await mlsChannel(server.url, 'Ferry timetable', 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    clock.held = Date.now();
    const at = clock.held + 5 * MIN;
    await ann.client.channelSchedule.schedule(id, 'Monday: the 7:40 ferry runs at 7:55', at);
    const later = await ann.client.channelSchedule.schedule(id, 'Tuesday: no ferries', at + MIN);
    await ann.client.stop(); // every admin device offline from here
    assert.deepEqual(shown(ben.client, chatId), []);

    clock.held = at; // its time: the next sweep publishes the first only
    await waitFor(() => shown(ben.client, chatId).length > 0, { what: 'Ben reads the scheduled post', timeoutMs: GROUP_FORMED });
    assert.deepEqual(shown(ben.client, chatId), [['Monday: the 7:40 ferry runs at 7:55', at, false]]);
    const entry = ben.client.log(chatId).at(-1);
    assert.deepEqual([entry?.senderUserId, entry?.senderDeviceId, entry?.envelope?.contentType], [ann.userId, ann.deviceId, 'parley/mls-scheduled']);
    assert.deepEqual((await server.services.mlsSchedule.list(ann, id)).map((p) => p.id), [later.id]);
    const everything = serverBytes(server.dataDir);
    for (const t of ['Monday: the 7:40 ferry', 'Tuesday: no ferries']) assert.ok(!leaks(everything, new TextEncoder().encode(t)), `plaintext on the server: ${t}`);
  });

  it('R191 a commit (a subscriber joining) makes a scheduled post stale: the sweep leaves it; a device of its author re-seals it at the new epoch on listing; it is published once across two sweeps and the new subscriber reads it too', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '0' }, { clock });
    const { people: [ann, ben], id, chatId, token } = await mlsChannel(server.url, 'Harbour notices', 'Ann', 'Ben');
    const [cat] = await users(server.url, 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const sweep = server.services.mlsSchedule;
    clock.held = Date.now();
    const at = clock.held + 5 * MIN;
    const a = await ann.client.channelSchedule.schedule(id, 'Harbour office closed on Monday', at);
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    const listed = async () => (await annRest<{ scheduled: { id: string; epoch: number; stale?: true }[] }>('GET', `/communities/${id}/channel-scheduled`)).scheduled.map((p) => [p.id, p.epoch, p.stale === true]);
    assert.deepEqual(await listed(), [[a.id, a.epoch, false]]);

    // Cat subscribes: a commit adds her device, the chat's epoch moves on. At its time the sweep leaves the post, listed stale.
    await cat.client.communities.joinInvite(token);
    await waitFor(async () => (await inGroup(ann.client, chatId)).length === 3, { what: 'the group of three', timeoutMs: GROUP_FORMED });
    clock.held = at + MIN;
    assert.deepEqual(await sweep.sweep(), { published: 0, stale: 1, dropped: 0 });
    assert.deepEqual(await listed(), [[a.id, a.epoch, true]]);

    // Ann's device lists them: it opens its copy, re-seals the overdue post at the new epoch, keeping its time.
    const after = await ann.client.channelSchedule.scheduled(id);
    assert.deepEqual(after.map((p) => [p.text, p.stale, p.epoch > a.epoch]), [['Harbour office closed on Monday', false, true]]);
    // Two nodes' sweeps at once: one publishes it.
    const [s1, s2] = await Promise.all([sweep.sweep(), sweep.sweep()]);
    assert.equal((s1?.published ?? 0) + (s2?.published ?? 0), 1);
    for (const u of [ben, cat]) {
      await waitFor(() => shown(u.client, chatId).length > 0, { what: 'the subscriber reads it', timeoutMs: GROUP_FORMED });
      assert.deepEqual(shown(u.client, chatId), [['Harbour office closed on Monday', at, false]], 'shown at its signed (scheduled) time, late as it is');
    }
    assert.deepEqual(await listed(), []);
  });

  it('R191 a server that publishes a scheduled post well before its time (its clock, or its word) is flagged on the readers\' devices', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '0' }, { clock });
    const { people: [ann, ben], id, chatId } = await mlsChannel(server.url, 'Ferry timetable', 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const at = Date.now() + 60 * MIN;
    await ann.client.channelSchedule.schedule(id, 'Ferry fares rise in June', at);
    clock.held = at; // the server says it is time; the readers' clocks say it is an hour early
    assert.deepEqual(await server.services.mlsSchedule.sweep(), { published: 1, stale: 0, dropped: 0 });
    await waitFor(() => shown(ben.client, chatId).length > 0, { what: 'Ben gets the post', timeoutMs: GROUP_FORMED });
    assert.deepEqual(shown(ben.client, chatId), [['Ferry fares rise in June', at, true]]);
  });
});
