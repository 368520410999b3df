import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileStore } from './file-store.ts';

describe('FileStore', () => {
  it('keeps MLS identity, key packages and group state across reopening, in a private file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-filestore-'));
    try {
      const path = join(dir, 'store.json');
      const a = new FileStore(path);
      assert.equal(await a.getMlsIdentity(), undefined, 'a profile from before MLS has none');
      await a.putMlsIdentity(new Uint8Array([1, 2, 3]));
      await a.putKeyPackages([
        { ref: 'r2', keyPackage: new Uint8Array([9]), privateKeys: new Uint8Array([8]), lastResort: false, createdAt: 2 },
        { ref: 'r1', keyPackage: new Uint8Array([7, 0, 255]), privateKeys: new Uint8Array([6]), lastResort: true, createdAt: 1 },
      ]);
      await a.putMlsGroup('chat_one', new Uint8Array([5, 5]));
      await a.deleteKeyPackages(['r2']);

      const b = new FileStore(path);
      assert.deepEqual(await b.getMlsIdentity(), new Uint8Array([1, 2, 3]));
      assert.deepEqual(await b.listKeyPackages(), [
        { ref: 'r1', keyPackage: new Uint8Array([7, 0, 255]), privateKeys: new Uint8Array([6]), lastResort: true, createdAt: 1 },
      ]);
      assert.deepEqual(await b.getMlsGroup('chat_one'), new Uint8Array([5, 5]));
      await b.deleteMlsGroup('chat_one');
      assert.equal(await new FileStore(path).getMlsGroup('chat_one'), undefined);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
