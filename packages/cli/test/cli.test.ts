import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createUser, startTestServer, tamperMessage, uniqueHandle } from '@parley/testing';
import { main } from '../src/main.ts';

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('parley CLI', () => {
  it('registers two profiles, opens a chat, sends, and receives as JSON lines', async () => {
    await using server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      const ha = uniqueHandle('cli_a');
      const hb = uniqueHandle('cli_b');
      const reg = await run(['--profile', a, 'register', '--server', server.url, '--handle', ha, '--name', 'CLI A']);
      assert.equal(reg.code, 0, reg.err.join('\n'));
      assert.match(JSON.parse(reg.out[0] ?? '{}').recoveryCode, /^[0-9A-Z-]{23}$/);
      assert.equal(statSync(join(a, 'profile.json')).mode & 0o777, 0o600, 'the key file is private');
      assert.equal((await run(['--profile', b, 'register', '--server', server.url, '--handle', hb])).code, 0);

      const sent = await run(['--profile', a, 'send', '--to', hb, 'hello from a script']);
      assert.equal(sent.code, 0, sent.err.join('\n'));
      assert.equal(JSON.parse(sent.out[0] ?? '{}').seq, 3, 'after "created" (1) and the commit that set up the encryption group (2)');

      const got = await run(['--profile', b, 'receive']);
      assert.equal(got.code, 0, got.err.join('\n'));
      const lines = got.out.map((l) => JSON.parse(l) as { text: string; system?: unknown });
      assert.deepEqual(lines.filter((l) => !l.system).map((l) => l.text), ['hello from a script']);
      assert.deepEqual((await run(['--profile', b, 'receive'])).out, [], 'receive prints only what is new');

      // R47: --markdown sends formatting, plain send keeps the markers as text; receive prints entities.
      assert.equal((await run(['--profile', a, 'send', '--to', hb, '--markdown', '**bold** and ~~gone~~'])).code, 0);
      assert.equal((await run(['--profile', a, 'send', '--to', hb, '**as typed**'])).code, 0);
      const formatted = (await run(['--profile', b, 'receive'])).out.map((l) => JSON.parse(l) as { text: string; entities?: unknown });
      assert.deepEqual(formatted.map((l) => [l.text, l.entities]), [
        ['bold and gone', [{ type: 'bold', offset: 0, length: 4 }, { type: 'strikethrough', offset: 9, length: 4 }]],
        ['**as typed**', undefined],
      ]);
      // R49/R50: forward into a group (the name left out where asked), pin and unpin in the direct chat.
      const quiet = await run(['--profile', a, 'send', '--to', hb, '--no-forward-name', 'not for naming']);
      const { chatId: direct, id: quietId } = JSON.parse(quiet.out[0] ?? '{}') as { chatId: string; id: string };
      const helloId = (JSON.parse(sent.out[0] ?? '{}') as { id: string }).id;
      assert.equal((await run(['--profile', b, 'receive'])).code, 0);
      const groupOfB = JSON.parse((await run(['--profile', b, 'group', 'Relay', ha])).out[0] ?? '{}') as { chatId: string };
      for (const id of [helloId, quietId]) {
        const fwd = await run(['--profile', b, 'forward', direct, id, groupOfB.chatId]);
        assert.equal(fwd.code, 0, fwd.err.join('\n'));
      }
      const relayed = (await run(['--profile', a, 'receive', '--chat', groupOfB.chatId])).out.map((l) => JSON.parse(l) as { text?: string; forwarded?: { from?: { displayName: string } } }).filter((l) => l.forwarded);
      assert.deepEqual(relayed.map((l) => [l.text, l.forwarded?.from?.displayName]), [['hello from a script', 'CLI A'], ['not for naming', undefined]]);
      const pinned = await run(['--profile', b, 'pin', direct, helloId]);
      assert.deepEqual([pinned.code, JSON.parse(pinned.out[0] ?? '{}').pinned], [0, [helloId]], pinned.err.join('\n'));
      assert.deepEqual(JSON.parse((await run(['--profile', b, 'pin', direct, helloId, '--off'])).out[0] ?? '{}').pinned, []);
      for (const p of [a, b]) {
        assert.ok(!readFileSync(join(p, 'store.json'), 'utf8').includes('hello from a script'), 'the store is sealed at rest');
        assert.equal(statSync(join(p, 'store-key.json')).mode & 0o777, 0o600);
      }

      const chats = await run(['--profile', b, 'chats']);
      assert.equal(JSON.parse(chats.out[0] ?? '{}').title, 'CLI A');
      const bad = await run(['--profile', a, 'send', '--to', 'no_such_user_x', 'hi']);
      assert.deepEqual([bad.code, bad.err[0]?.startsWith('parley: user_not_found')], [1, true]);
      assert.equal((await run(['--help'])).out[0]?.startsWith('parley —'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreadable message is a JSON line with "unreadable": {reason, detail}, not an empty text', async () => {
    await using server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      const hb = uniqueHandle('cli_b');
      assert.equal((await run(['--profile', a, 'register', '--server', server.url, '--handle', uniqueHandle('cli_a')])).code, 0);
      assert.equal((await run(['--profile', b, 'register', '--server', server.url, '--handle', hb])).code, 0);
      const altered = JSON.parse((await run(['--profile', a, 'send', '--to', hb, 'altered on the server'])).out[0] ?? '{}') as { chatId: string; seq: number; id: string };
      assert.equal((await run(['--profile', a, 'send', '--to', hb, 'intact'])).code, 0);
      // A malicious server flips a bit of the stored ciphertext before b fetches it.
      tamperMessage(server.dataDir, altered.chatId, altered.seq);

      const got = await run(['--profile', b, 'receive']);
      assert.equal(got.code, 0, got.err.join('\n'));
      const lines = got.out.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => !l['system']);
      assert.equal(lines.length, 2);
      const [bad, good] = lines;
      assert.deepEqual(Object.keys(bad ?? {}), ['chatId', 'seq', 'id', 'from', 'sentAt', 'unreadable'], 'no text field');
      assert.deepEqual([bad?.['seq'], bad?.['id']], [altered.seq, altered.id]);
      const unreadable = bad?.['unreadable'] as { reason: string; detail?: string };
      assert.equal(unreadable.reason, 'tampered');
      assert.match(unreadable.detail ?? '', /^mls_/, 'the MLS error code');
      assert.equal(good?.['text'], 'intact');
      assert.ok(!('unreadable' in (good ?? {})));

      const history = await run(['--profile', b, 'history', altered.chatId]);
      assert.ok(history.out.map((l) => JSON.parse(l) as Record<string, unknown>).some((l) => l['id'] === altered.id && JSON.stringify(l['unreadable']) === JSON.stringify(unreadable)), 'history prints it the same way');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R141-R142 a script subscribes to a private channel in wrapped mode and reads its signed posts as JSON lines', async () => {
    await using server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    const ann = await createUser(server.url, { displayName: 'Ann' });
    try {
      const b = join(dir, 'b');
      assert.equal((await run(['--profile', b, 'register', '--server', server.url, '--handle', uniqueHandle('cli_b')])).code, 0);
      const channel = await ann.client.communities.create({ name: 'Road works', settings: { channel: true, wrapped: true } });
      const { token } = await ann.client.communities.createInvite(channel.communityId);
      const joined = await run(['--profile', b, 'channel-join', token]);
      assert.deepEqual(JSON.parse(joined.out[0] ?? '{}'), { communityId: channel.communityId, wrapped: true }, joined.err.join('\n'));
      await ann.client.wrappedChannels.post(channel.communityId, 'Bridge closed Saturday');
      const read = await run(['--profile', b, 'channel-read', channel.communityId]);
      assert.equal(read.code, 0, read.err.join('\n'));
      assert.deepEqual(read.out.map((l) => { const p = JSON.parse(l) as Record<string, unknown>; return [p['text'], p['authorId']]; }), [['Bridge closed Saturday', ann.userId]]);
      // A subscriber can't post: the server's code on stderr.
      const refused = await run(['--profile', b, 'channel-post', channel.communityId, 'spam']);
      assert.deepEqual([refused.code, refused.err[0]?.startsWith('parley: channel_admin_only')], [1, true]);
    } finally {
      await ann.client.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
