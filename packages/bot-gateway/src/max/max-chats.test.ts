import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatView, ParleyClient } from '@parley/client';
import { MaxChatIndex } from './max-chats.ts';

const view = (chatId: string, kind: 'direct' | 'group', members: string[]) => ({ chatId, kind, members: members.map((userId) => ({ userId, role: 'member' })) }) as unknown as ChatView;

describe('the Max facade\'s chat index (R109)', () => {
  it('a chat that goes is reported once, even one added and removed at once; a person\'s direct chat is found by the index', async () => {
    let list = [view('c1', 'direct', ['bot', 'u1']), view('g1', 'group', ['bot', 'u1', 'u2'])];
    let reads = 0;
    const client = { chats: () => { reads++; return list; } } as unknown as ParleyClient;
    const removed: [string, number][] = [];
    const index = new MaxChatIndex(client, 'bot', (v) => (v.kind === 'direct' ? 1 : -2), (chatId, n) => removed.push([chatId, n]));
    index.changed();
    assert.equal(reads, 1);
    assert.equal(index.dialogWith('u1'), 'c1');
    assert.equal(reads, 1, 'a known dialog is found without reading the list');

    list = [view('c1', 'direct', ['bot', 'u1'])];
    index.changed();
    assert.deepEqual(removed, [['g1', -2]]);
    index.changed();
    assert.deepEqual(removed, [['g1', -2]], 'reported once');
    // Added and removed in quick succession (the R109 groups test): still reported.
    list = [...list, view('g2', 'group', ['bot', 'u1'])];
    index.changed();
    list = list.filter((v) => v.chatId !== 'g2');
    index.changed();
    assert.deepEqual(removed, [['g1', -2], ['g2', -2]]);

    list = [...list, view('c2', 'direct', ['u3', 'bot'])];
    assert.equal(index.dialogWith('u3'), 'c2', 'a chat opened a moment ago: a miss reads the list at once');
    assert.equal(index.dialogWith('nobody'), undefined);
    index.stop();
  });
});
