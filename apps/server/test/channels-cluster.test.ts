import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NatsServer, createTestDatabase, createUser, freePort, startTestServer, uniqueHandle, waitFor } from '@parley/testing';

/** R97 in a cluster: a post made through one node is one notice on NATS, heard by a subscriber connected to another. */
describe('channels in a cluster (PostgreSQL + NATS)', () => {
  it('R96 R97 an author on node A posts; a subscriber on node B hears the notice and reads the verified post from PostgreSQL', async (t) => {
    await using db = await createTestDatabase();
    const nats = await NatsServer.start(await freePort());
    t.after(() => nats.close());
    const env = { PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: nats.url };
    await using a = await startTestServer(env);
    await using b = await startTestServer(env);
    const amy = await createUser(a.url, { displayName: 'Amy' });
    const ben = await createUser(b.url, { displayName: 'Ben' });
    t.after(async () => {
      await amy.client.stop();
      await ben.client.stop();
    });
    const channel = await amy.client.channels.create({ handle: uniqueHandle('cl').slice(0, 30), title: 'Across nodes' });
    await ben.client.channels.subscribe(channel.channelId);
    const heard: number[] = [];
    ben.client.on('channelPost', (n) => heard.push(n.seq));
    // Ben's connection on B joins `channel.<id>` when the subscription event reaches it over NATS.
    await waitFor(async () => {
      await amy.client.channels.post(channel.channelId, `hello from node A ${Date.now()}`);
      return heard.length > 0;
    }, { what: 'ben on node B hears a notice', intervalMs: 300, timeoutMs: 15_000 });
    const log = await ben.client.channels.log(channel.channelId, 0);
    assert.ok(log.posts.length >= 1 && log.posts.every((p) => p.verified && p.text.startsWith('hello from node A')));
    assert.ok(heard.every((seq) => seq >= 1 && seq <= log.lastSeq));
  });

  it('R115 two nodes sweep the same schedule: each scheduled post is published once, at its own seq, with the author offline', async (t) => {
    await using db = await createTestDatabase();
    const nats = await NatsServer.start(await freePort());
    t.after(() => nats.close());
    const env = { PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: nats.url, PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '20' };
    await using a = await startTestServer(env);
    await using b = await startTestServer(env);
    const amy = await createUser(a.url, { displayName: 'Amy' });
    const ben = await createUser(b.url, { displayName: 'Ben' });
    t.after(() => ben.client.stop());
    const channel = await amy.client.channels.create({ handle: uniqueHandle('cl').slice(0, 30), title: 'Swept twice' });
    const ids = [];
    // Each 3 s ahead of its own request (a fixed time could be past by the fifth on a loaded machine: bad_request).
    for (let i = 0; i < 5; i++) ids.push((await amy.client.channels.schedule(channel.channelId, `scheduled ${i}`, Date.now() + 3_000)).postId);
    await amy.client.stop();
    await waitFor(async () => (await ben.client.channels.log(channel.channelId, 0)).posts.length === 5, { what: 'all five published', timeoutMs: 30_000 });
    // Sweeps keep running on both nodes: nothing is published again.
    await waitFor(async () => (await a.services.channelSchedule.sweep()).published === 0 && (await b.services.channelSchedule.sweep()).published === 0, { what: 'nothing left to publish' });
    const log = await ben.client.channels.log(channel.channelId, 0);
    assert.deepEqual(log.posts.map((p) => p.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(log.posts.map((p) => (p.verified ? p.text : `UNVERIFIED: ${p.problem}`)).sort(), [0, 1, 2, 3, 4].map((i) => `scheduled ${i}`));
    assert.deepEqual(log.posts.map((p) => p.verified && p.postId).sort(), [...ids].sort());
    assert.equal(log.lastSeq, 5);
  });
});
