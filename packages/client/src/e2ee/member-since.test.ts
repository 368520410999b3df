import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../stores/memory-store.ts';
import { MemberSince } from './member-since.ts';

const CHAT = 'chat_since';

test('R32 MemberSince: a Welcome counts everyone from the join; a commit dates what it adds, forgets what it removes; a re-add keeps its epoch', async () => {
  const since = new MemberSince(new MemoryStore());
  await since.reset(CHAT, ['a:1', 'b:1'], 3);
  await since.moved(CHAT, ['a:1', 'b:1'], ['a:1', 'b:1', 'c:1'], 4);
  assert.deepEqual([...(await since.of(CHAT, ['a:1', 'b:1', 'c:1'], 4))], [['a:1', 3], ['b:1', 3], ['c:1', 4]]);
  // b's leaf removed and added back in one commit (R29): the same members before and after.
  await since.moved(CHAT, ['a:1', 'b:1', 'c:1'], ['a:1', 'b:1', 'c:1'], 5);
  // c leaves, then comes back: it counts from its return, not from its first add.
  await since.moved(CHAT, ['a:1', 'b:1', 'c:1'], ['a:1', 'b:1'], 6);
  await since.moved(CHAT, ['a:1', 'b:1'], ['a:1', 'b:1', 'c:1'], 7);
  assert.deepEqual([...(await since.of(CHAT, ['a:1', 'b:1', 'c:1'], 7))], [['a:1', 3], ['b:1', 3], ['c:1', 7]]);
});

test('R32 MemberSince: a member it has no record of counts from the current epoch', async () => {
  const since = new MemberSince(new MemoryStore());
  assert.deepEqual([...(await since.of(CHAT, ['a:1'], 9))], [['a:1', 9]]);
  await since.reset(CHAT, ['a:1'], 2);
  await since.moved(CHAT, ['a:1', 'x:1'], ['a:1', 'x:1'], 5); // x was in the tree, missing from the record
  assert.deepEqual([...(await since.of(CHAT, ['a:1', 'x:1'], 5))], [['a:1', 2], ['x:1', 5]]);
});
