import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerFrame, type Message } from '@parley/protocol';
import { historyFrame } from './history-frame.ts';

const message = (seq: number, over: Partial<Message> = {}): Message => ({
  chatId: 'chat_aaaaaaaa', seq, clientMsgId: `client_${seq}xxxx`, senderUserId: 'user_bbbbbbbb', senderDeviceId: 'dev_bbbbbbbb', sentAt: 1_700_000_000_000 + seq,
  envelope: { contentType: 'application/octet-stream', payload: Buffer.from(`body ${seq} ✓`).toString('base64') }, system: null, ...over,
});

describe('historyFrame (R40)', () => {
  it('is the same JSON value as JSON.stringify of the frame, and a valid server frame', () => {
    const page = {
      messages: [
        message(1),
        message(2, { envelope: null, system: { kind: 'renamed', name: 'Чат "q" \\ ✓' } } as Partial<Message>),
        message(3, { envelope: { contentType: 'text/plain', payload: '' } }),
        message(4, { envelope: { contentType: 'x', payload: Buffer.alloc(65_000, 7).toString('base64') } }),
      ],
      hasMore: true,
    };
    const rid = 'r "1" \\ ✓';
    const bytes = historyFrame(rid, 'chat_aaaaaaaa', page);
    const expected = { type: 'history', rid, chatId: 'chat_aaaaaaaa', ...page };
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(JSON.stringify(expected)));
    assert.equal(bytes.length, Buffer.byteLength(JSON.stringify(expected)));
    assert.ok(ServerFrame.safeParse(JSON.parse(bytes.toString('utf8'))).success);
  });

  it('an empty page', () => {
    const bytes = historyFrame('r1', 'chat_aaaaaaaa', { messages: [], hasMore: false });
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), { type: 'history', rid: 'r1', chatId: 'chat_aaaaaaaa', messages: [], hasMore: false });
  });
});
