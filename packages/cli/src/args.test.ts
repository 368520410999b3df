import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { describe, it } from 'node:test';
import { main, optionsFirst } from './main.ts';

describe('CLI arguments', () => {
  it('reads ids and texts that begin with a dash as positionals, in order', () => {
    const args = optionsFirst(['forward', '-4xYz_a', '--profile', 'p', '-Qq', 'target', '-h']);
    assert.deepEqual(args, ['--profile=p', '-h', '--', 'forward', '-4xYz_a', '-Qq', 'target']);
    const { values, positionals } = parseArgs({ args, options: { profile: { type: 'string' }, h: { type: 'boolean' } }, allowPositionals: true });
    assert.deepEqual([values.profile, positionals], ['p', ['forward', '-4xYz_a', '-Qq', 'target']]);
  });

  it('keeps a string option\'s value even when it begins with a dash, and everything after -- as is', () => {
    assert.deepEqual(optionsFirst(['send', '--to', 'bob', '--', '--markdown']), ['--to=bob', '--', 'send', '--markdown']);
    // A chat id that begins with a dash (cli.test's `receive --chat` failed 2 in ~60 runs, the group's id being one).
    const args = optionsFirst(['receive', '--chat', '-abc', 'x']);
    assert.deepEqual(args, ['--chat=-abc', '--', 'receive', 'x']);
    const { values, positionals } = parseArgs({ args, options: { chat: { type: 'string' } }, allowPositionals: true });
    assert.deepEqual([values.chat, positionals], ['-abc', ['receive', 'x']]);
  });

  it('still fails loudly on a misspelt option', async () => {
    const err: string[] = [];
    assert.equal(await main(['send', '--mardown', 'x'], () => {}, (l) => err.push(l)), 1);
    assert.match(err.join('\n'), /Unknown option '--mardown'/);
  });
});
