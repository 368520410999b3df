import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Content } from './content.ts';

test('R49 a forwarded text: from is optional, its name bounded; noForwardName is only true', () => {
  const forwarded = { sentAt: 1, from: { userId: 'bob000001', displayName: 'Bob' } };
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', forwarded }).success);
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', forwarded: { sentAt: 1 } }).success, 'the name left out');
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { ...forwarded, from: { userId: 'bob000001', displayName: 'x'.repeat(101) } } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { from: forwarded.from } }).success, 'sentAt is required');
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', noForwardName: true }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', noForwardName: false }).success);
});

test('R50 a pin names its target by client id and says on or off', () => {
  assert.ok(Content.safeParse({ kind: 'pin', target: 'hello0001', on: true }).success);
  assert.ok(!Content.safeParse({ kind: 'pin', target: 'hello0001' }).success);
  assert.ok(!Content.safeParse({ kind: 'pin', target: '', on: false }).success);
});
