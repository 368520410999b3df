// Files in a cluster (R53-R56): three nodes on one PostgreSQL, NATS and an S3-compatible store. An
// upload goes through one node and is read through another; a resumed upload moves between nodes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createTestDatabase, startTestS3, startTestServer, type TestServer } from '@parley/testing';
import { blobUser, created, download, groupOf, head, patch, peerOf, sendWithBlobs, tusUpload } from './blob-http.ts';
import { leaks } from './server-bytes.ts';
import { migratedTemplate } from '../src/storage/postgres/migrated-databases.ts';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => readFileSync(join(d.parentPath, d.name))));
}

describe('files in a cluster (PostgreSQL + NATS + S3)', () => {
  it('R53 R55 upload through node 1, resume through node 2 and 3, download through node 2; the sweep on node 3 empties the bucket', { timeout: 120_000 }, async () => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    await using s3 = await startTestS3();
    const env = {
      PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: 'nats://127.0.0.1:4222', PARLEY_NATS_PREFIX: `files${randomBytes(4).toString('hex')}`,
      PARLEY_BLOB_GC_INTERVAL_MS: '0', PARLEY_BLOB_UNREFERENCED_TTL_MS: '1000', ...s3.env,
    };
    const nodes: TestServer[] = [];
    await using _nodes = { [Symbol.asyncDispose]: async () => { for (const n of nodes) await n.close(); } };
    for (let i = 1; i <= 3; i++) nodes.push(await startTestServer({ ...env, PARLEY_NODE_ID: `files-node${i}` }));
    const [one, two, three] = nodes as [TestServer, TestServer, TestServer];

    const [alice, bob] = await Promise.all([blobUser(one.url), blobUser(two.url)]);
    const name = 'site-plan-of-the-new-school.dwg';
    const data = randomBytes(11 * MiB + 77);
    const viaTus = await tusUpload(one.url, alice.token, data, { chunkSize: 6 * MiB, metadata: { filename: name } });

    // By hand: 6 MiB + 5 bytes through node 1, the offset asked of node 2, the rest through node 3.
    const other = randomBytes(8 * MiB + 3);
    const id = await created(one.url, alice.token, other.length);
    assert.equal((await patch(one.url, alice.token, id, 0, other.subarray(0, 6 * MiB + 5))).status, 204);
    const resumeAt = Number((await head(two.url, alice.token, id)).headers.get('upload-offset'));
    assert.equal(resumeAt, 6 * MiB + 5, 'node 2 sees what node 1 stored');
    assert.equal((await patch(three.url, alice.token, id, resumeAt, other.subarray(resumeAt))).status, 204);

    const chatId = await groupOf(alice, [bob]);
    const peer = await peerOf(one.url, alice);
    assert.equal((await sendWithBlobs(peer, chatId, 'plans_1', { blobs: [viaTus, id] }))['type'], 'ack');
    const whole = await download(two.url, bob.token, viaTus);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.body), sha256(data), 'bob reads through node 2 what alice wrote through node 1');
    const range = await download(two.url, bob.token, viaTus, `bytes=${5 * MiB - 3}-${6 * MiB + 2}`);
    assert.deepEqual([range.status, range.body], [206, data.subarray(5 * MiB - 3, 6 * MiB + 3)]);
    assert.equal(sha256((await download(three.url, bob.token, id)).body), sha256(other));
    assert.ok(!leaks(filesUnder(s3.directory), Buffer.from(name)), 'no file name in the bucket');

    // R56 on any node: an unreferenced upload goes from the bucket, the referenced ones stay.
    const lonely = await tusUpload(two.url, alice.token, randomBytes(1000));
    await new Promise((r) => setTimeout(r, 1100));
    assert.deepEqual(await three.services.files.sweep(), { deleted: 1, freedBytes: 1000 });
    assert.equal((await download(one.url, alice.token, lonely)).code, 'blob_not_found');
    assert.ok(!readdirSync(s3.directory, { recursive: true }).some((f) => String(f).includes(lonely)), 'its objects are gone from the bucket');
    assert.equal((await download(one.url, bob.token, viaTus)).status, 200);
    peer.close();
  });

  it('R53 one writer per upload across nodes: a resume through node 2 ends the cut PATCH still open on node 1, then goes on from what it stored', { timeout: 120_000 }, async () => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    await using s3 = await startTestS3();
    const env = {
      PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: 'nats://127.0.0.1:4222', PARLEY_NATS_PREFIX: `files${randomBytes(4).toString('hex')}`,
      PARLEY_BLOB_GC_INTERVAL_MS: '0', ...s3.env,
    };
    await using one = await startTestServer({ ...env, PARLEY_NODE_ID: 'lock-node1' });
    await using two = await startTestServer({ ...env, PARLEY_NODE_ID: 'lock-node2' });
    const alice = await blobUser(one.url);
    const data = randomBytes(7 * MiB + 11);
    const id = await created(one.url, alice.token, data.length);

    // A PATCH whose link went quiet after 6 MiB + 1 (the client is gone; the server does not know yet).
    const cut = new PassThrough();
    const stalled = patch(one.url, alice.token, id, 0, cut);
    cut.write(data.subarray(0, 6 * MiB + 1));
    await new Promise((r) => setTimeout(r, 500));

    // The client comes back through node 2: its HEAD waits for node 1's request to let go.
    const resumeAt = Number((await head(two.url, alice.token, id)).headers.get('upload-offset'));
    const ended = await Promise.race([stalled.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    assert.equal(ended, true, 'node 1 ended the stalled request when node 2 asked for the upload');
    assert.equal(resumeAt, 6 * MiB + 1, 'node 2 resumes from everything node 1 stored');
    assert.equal((await patch(two.url, alice.token, id, resumeAt, data.subarray(resumeAt))).status, 204);
    cut.destroy();
    const chatId = await groupOf(alice, []);
    const peer = await peerOf(two.url, alice);
    assert.equal((await sendWithBlobs(peer, chatId, 'lock_1', { blobs: [id] }))['type'], 'ack');
    assert.equal(sha256((await download(one.url, alice.token, id)).body), sha256(data), 'the whole file, every byte once');
    peer.close();
  });
});
