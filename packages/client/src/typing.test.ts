import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPING_SEND_EVERY_MS, TYPING_SHOWN_MS, TypingState } from './typing.ts';

describe('typing state', () => {
  it('shows a typist until the display time ends, at most 6 s after their last signal', () => {
    let now = 1_000;
    const typing = new TypingState(() => undefined, () => now);
    typing.heard('chat_a', 'user_ann');
    assert.deepEqual(typing.who('chat_a'), ['user_ann']);
    now += TYPING_SHOWN_MS - 1;
    assert.deepEqual(typing.who('chat_a'), ['user_ann']);
    now += 1;
    assert.deepEqual(typing.who('chat_a'), []);
    assert.ok(TYPING_SHOWN_MS <= 6000);
  });

  it('a message from the typist clears them at once, and only them', () => {
    let changes = 0;
    const typing = new TypingState(() => changes++, () => 0);
    typing.heard('chat_a', 'user_ann');
    typing.heard('chat_a', 'user_ben');
    typing.heard('chat_b', 'user_ann');
    changes = 0;
    typing.messageFrom('chat_a', 'user_ann');
    assert.deepEqual(typing.who('chat_a'), ['user_ben']);
    assert.deepEqual(typing.who('chat_b'), ['user_ann']);
    assert.equal(changes, 1);
    typing.messageFrom('chat_a', 'user_cat');
    assert.equal(changes, 1, 'nothing changed, no re-render');
  });

  it('signals at most every 3 s while typing, and again at once after a send', () => {
    let now = 0;
    const typing = new TypingState(() => undefined, () => now);
    assert.equal(typing.shouldSend('chat_a'), true);
    now += TYPING_SEND_EVERY_MS - 1;
    assert.equal(typing.shouldSend('chat_a'), false);
    assert.equal(typing.shouldSend('chat_b'), true, 'per chat');
    typing.sent('chat_a');
    assert.equal(typing.shouldSend('chat_a'), true);
  });
});
