import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

  it('journaled (the bot gateway): each change is one appended line; a crash keeps every whole line, a torn one is skipped; close folds it in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-filestore-'));
    try {
      const path = join(dir, 'store.json');
      const a = new FileStore(path, { journal: true });
      await a.putChat({ chatId: 'chat_0000001', kind: 'direct', name: '', color: '#000', members: [], lastSeq: 3, unread: 0, createdAt: 1, mlsEpoch: 0 });
      const msg = (seq: number, text: string) => ({
        chatId: 'chat_0000001', seq, clientMsgId: `msg_000000${seq}`, senderUserId: 'user_000001', senderDeviceId: 'dev_0000001', sentAt: seq,
        envelope: null, system: null, decoded: { kind: 'content' as const, content: { kind: 'text' as const, text } },
      });
      await a.putMessages([msg(1, 'one'), msg(3, 'three')], new Map([['chat_0000001', new Uint8Array([1])]]));
      await a.putMessages([msg(2, 'two'), msg(3, 'three again')], new Map([['chat_0000001', new Uint8Array([2])]]));
      await a.setMeta('cursor', '3');
      assert.equal(existsSync(path), false, 'nothing rewritten: only the journal');
      assert.equal(readFileSync(`${path}.log`, 'utf8').trim().split('\n').length, 4, 'one line a change');
      appendFileSync(`${path}.log`, '["meta","cursor","9');
      // the process died here
      const b = new FileStore(path, { journal: true });
      assert.deepEqual((await b.getMessages('chat_0000001')).map((m) => [m.seq, m.decoded?.kind === 'content' && m.decoded.content.kind === 'text' ? m.decoded.content.text : '']), [[1, 'one'], [2, 'two'], [3, 'three again']]);
      assert.deepEqual(await b.getMlsGroup('chat_0000001'), new Uint8Array([2]));
      assert.equal(await b.getMeta('cursor'), '3', 'the torn line is skipped');
      await b.setMeta('cursor', '4');
      await b.close();
      assert.equal(existsSync(`${path}.log`), false, 'folded into the snapshot');
      assert.equal(await new FileStore(path).getMeta('cursor'), '4', 'which a store without a journal reads');
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
