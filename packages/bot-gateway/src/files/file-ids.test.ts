import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Attachment } from '@parley/protocol';
import { FileIds } from './file-ids.ts';

const file = (n: number): Attachment => ({
  blobId: String(n).padStart(22, 'A'), key: 'A'.repeat(43) + '=', sha256: '0'.repeat(64), size: 1, chunkBytes: 65536, kind: 'file', name: `f${n}.txt`, mime: 'text/plain',
});

describe('the gateway\'s files (files.json)', () => {
  it('keeps at most its limit, forgetting the least recently used (received, sent or read); the bound holds after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-files-'));
    try {
      const path = join(dir, 'files.json');
      const ids = new FileIds(path, 3);
      ids.remember([file(1), file(2), file(3)]);
      assert.ok(ids.get(file(1).blobId), 'reading 1 makes it the most recently used');
      ids.remember([file(4)]);
      assert.equal(ids.size, 3);
      assert.equal(ids.get(file(2).blobId), undefined, '2 was the least recently used');
      assert.ok(ids.get(file(1).blobId) && ids.get(file(3).blobId) && ids.get(file(4).blobId));
      assert.equal(ids.forgotten, 1);
      ids.remember([file(3)]); // seen again: used now, not added twice
      ids.remember([file(5)]);
      assert.equal(ids.get(file(1).blobId), undefined);
      ids.flush();
      const again = new FileIds(path, 2);
      assert.equal(again.size, 2, 'a smaller limit after a restart holds at once');
      assert.deepEqual([again.get(file(3).blobId)?.name, again.get(file(5).blobId)?.name, again.get(file(4).blobId)], ['f3.txt', 'f5.txt', undefined]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
