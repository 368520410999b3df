import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { Upload } from '@tus/utils';
import { BlobMissing, type BlobBytes } from './blob-bytes.ts';

export interface BlobBytesFixture {
  bytes: BlobBytes;
  /** The same store opened again (another node, or after a restart): nothing cached. */
  reopen(): Promise<BlobBytes>;
  close(): Promise<void>;
}

let n = 0;
const newId = () => `${randomBytes(10).toString('base64url')}${String(++n).padStart(8, '0')}`.slice(0, 22);
const MiB = 1024 * 1024;

async function upload(bytes: BlobBytes, id: string, data: Buffer, pieces: number[]): Promise<void> {
  await bytes.dataStore.create(new Upload({ id, size: data.length, offset: 0, creation_date: new Date().toISOString() }));
  let offset = 0;
  for (const len of pieces) {
    offset = await bytes.dataStore.write(Readable.from([data.subarray(offset, offset + len)]), id, offset);
  }
  assert.equal(offset, data.length);
}

/** The BlobBytes contract (R53, R55, R56), run against the disk store and the S3 store. */
export function blobBytesSuite(name: string, open: () => Promise<BlobBytesFixture>): void {
  describe(`${name}: blob bytes`, () => {
    let f: BlobBytesFixture;
    before(async () => {
      f = await open();
    });
    after(async () => {
      await f.close();
    });

    it('R53 R55 an upload written in pieces reads back whole and in ranges, streamed', async () => {
      const data = randomBytes(12 * MiB + 123);
      const id = newId();
      await upload(f.bytes, id, data, [3 * MiB, 6 * MiB, 3 * MiB + 123]);
      assert.equal(await f.bytes.offset(id), data.length);
      const read = async (start: number, end: number) => buffer(await f.bytes.read(id, start, end));
      assert.deepEqual(await read(0, data.length - 1), data);
      assert.deepEqual(await read(0, 0), data.subarray(0, 1));
      assert.deepEqual(await read(5 * MiB - 7, 7 * MiB + 3), data.subarray(5 * MiB - 7, 7 * MiB + 4));
      assert.deepEqual(await read(data.length - 1, data.length - 1), data.subarray(data.length - 1));
    });

    it('R53 an unfinished upload keeps its offset for another node (or a restart) to resume from', async () => {
      const data = randomBytes(7 * MiB);
      const id = newId();
      await f.bytes.dataStore.create(new Upload({ id, size: data.length, offset: 0, creation_date: new Date().toISOString() }));
      const first = await f.bytes.dataStore.write(Readable.from([data.subarray(0, 5 * MiB + 11)]), id, 0);
      assert.equal(first, 5 * MiB + 11);
      const other = await f.reopen();
      assert.equal(await other.offset(id), first);
      assert.equal((await other.dataStore.getUpload(id)).size, data.length);
      const done = await other.dataStore.write(Readable.from([data.subarray(first)]), id, first);
      assert.equal(done, data.length);
      assert.deepEqual(await buffer(await other.read(id, 0, data.length - 1)), data);
      assert.deepEqual(await buffer(await f.bytes.read(id, 1, 2)), data.subarray(1, 3));
    });

    it('R53 a zero-byte upload is complete at once', async () => {
      const id = newId();
      await upload(f.bytes, id, Buffer.alloc(0), [0]);
      assert.equal(await f.bytes.offset(id), 0);
    });

    it('R55 R56 an unknown or removed blob is BlobMissing; removing twice, or an unfinished upload, is fine', async () => {
      await assert.rejects(f.bytes.read(newId(), 0, 0), BlobMissing);
      assert.equal(await f.bytes.offset(newId()), undefined);
      const data = randomBytes(1000);
      const id = newId();
      await upload(f.bytes, id, data, [1000]);
      await f.bytes.remove(id);
      await assert.rejects(f.bytes.read(id, 0, 0), BlobMissing);
      assert.equal(await f.bytes.offset(id), undefined);
      assert.equal(await (await f.reopen()).offset(id), undefined);
      await f.bytes.remove(id);

      const half = newId();
      await f.bytes.dataStore.create(new Upload({ id: half, size: 6 * MiB, offset: 0, creation_date: new Date().toISOString() }));
      await f.bytes.dataStore.write(Readable.from([randomBytes(MiB)]), half, 0);
      await f.bytes.remove(half);
      assert.equal(await f.bytes.offset(half), undefined);
      await f.bytes.remove(newId());
    });
  });
}
