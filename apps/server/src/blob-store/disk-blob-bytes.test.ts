import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobBytesSuite } from './blob-bytes.suite.ts';
import { DiskBlobBytes } from './disk-blob-bytes.ts';

blobBytesSuite('DiskBlobBytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-blob-bytes-'));
  return {
    bytes: await DiskBlobBytes.open(join(dir, 'blobs')),
    reopen: () => DiskBlobBytes.open(join(dir, 'blobs')),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
