import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestServer, uniqueHandle } from '@parley/testing';
import { main } from '../src/main.ts';

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

interface AttachmentLine { index: number; name: string; mime: string; size: number; kind: string; blobId: string; key?: unknown }

describe('parley CLI files', () => {
  it('send --file uploads with progress and prints the message; receive lists attachments (no key); download decrypts, checks, never overwrites or escapes the directory', async () => {
    await using server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-files-'));
    const cwd = process.cwd();
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      const hb = uniqueHandle('cli_fb');
      assert.equal((await run(['--profile', a, 'register', '--server', server.url, '--handle', uniqueHandle('cli_fa')])).code, 0);
      assert.equal((await run(['--profile', b, 'register', '--server', server.url, '--handle', hb])).code, 0);

      const report = randomBytes(1_500_000);
      const reportPath = join(dir, 'report.pdf');
      writeFileSync(reportPath, report);
      // A hostile name: a bidi override and a path that would leave the directory.
      const sneaky = join(dir, '..\u202Egpj.exe');
      writeFileSync(sneaky, 'tiny');
      const sent = await run(['--profile', a, 'send', '--to', hb, 'the minutes', '--file', reportPath, '--file', sneaky]);
      assert.equal(sent.code, 0, sent.err.join('\n'));
      assert.ok(sent.err.some((l) => /^parley: (uploading|sending|done) \d+%/.test(l)), `progress on stderr: ${sent.err.join(' | ')}`);
      const message = JSON.parse(sent.out[0] ?? '{}') as { chatId: string; id: string; seq: number; text: string; attachments: AttachmentLine[] };
      assert.equal(message.text, 'the minutes');
      assert.ok(message.seq > 0, 'acknowledged');
      assert.deepEqual(message.attachments.map((x) => [x.index, x.name, x.mime, x.size, x.kind]), [
        [0, 'report.pdf', 'application/pdf', report.length, 'file'], [1, '..gpj.exe', 'application/octet-stream', 4, 'file'],
      ]);

      const got = await run(['--profile', b, 'receive']);
      assert.equal(got.code, 0, got.err.join('\n'));
      const line = got.out.map((l) => JSON.parse(l) as { id: string; attachments?: AttachmentLine[] }).find((l) => l.attachments);
      assert.equal(line?.id, message.id);
      assert.deepEqual(line?.attachments?.map((x) => x.blobId), message.attachments.map((x) => x.blobId));
      assert.ok(!got.out.join('\n').includes('"key"'), 'never the key');

      const work = join(dir, 'work');
      mkdirSync(work);
      process.chdir(work);
      const saved = await run(['--profile', b, 'download', message.chatId, message.id]);
      assert.equal(saved.code, 0, saved.err.join('\n'));
      assert.equal(JSON.parse(saved.out[0] ?? '{}').path, join(work, 'report.pdf'));
      assert.deepEqual(readFileSync(join(work, 'report.pdf')), report);
      const again = await run(['--profile', b, 'download', message.chatId, message.id]);
      assert.deepEqual([again.code, /exists.*--force/.test(again.err[0] ?? '')], [1, true], 'no overwrite without --force');
      writeFileSync(join(work, 'report.pdf'), 'changed');
      assert.equal((await run(['--profile', b, 'download', message.chatId, message.id, '--force'])).code, 0);
      assert.deepEqual(readFileSync(join(work, 'report.pdf')), report);

      const hostile = await run(['--profile', b, 'download', message.chatId, message.id, '--index', '1']);
      assert.equal(hostile.code, 0, hostile.err.join('\n'));
      assert.equal(JSON.parse(hostile.out[0] ?? '{}').path, join(work, 'gpj.exe'), 'inside the directory, no leading dots, the override removed');
      assert.equal(readFileSync(join(work, 'gpj.exe'), 'utf8'), 'tiny');
      const out = join(dir, 'elsewhere');
      mkdirSync(out);
      assert.equal((await run(['--profile', b, 'download', message.chatId, message.id, '--out', out])).code, 0);
      assert.ok(existsSync(join(out, 'report.pdf')), '--out DIR keeps the name');
      const missing = await run(['--profile', b, 'download', message.chatId, message.id, '--index', '5']);
      assert.deepEqual([missing.code, /no attachment 5/.test(missing.err[0] ?? '')], [1, true]);
      const noFile = await run(['--profile', a, 'send', message.chatId, '--file', join(dir, 'nope.bin')]);
      assert.deepEqual([noFile.code, /nope\.bin: ENOENT/.test(noFile.err[0] ?? '')], [1, true], noFile.err.join('\n'));
      assert.match((await run(['--help'])).out[0] ?? '', /download CHAT_ID MESSAGE_ID/);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
