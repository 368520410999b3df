import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Content, MessageContent, parseReceivedContent } from './content.ts';
import { entitiesProblem, MAX_ENTITIES, safeLinkTarget, type MessageEntity } from './entities.ts';

const id = 'msg-0001';
const text = (t: string, entities: unknown[]) => ({ kind: 'text', text: t, entities });
const ok = (t: string, entities: unknown[]) => assert.equal(MessageContent.safeParse(text(t, entities)).success, true, JSON.stringify(entities));
const bad = (t: string, entities: unknown[]) => assert.equal(MessageContent.safeParse(text(t, entities)).success, false, JSON.stringify(entities));

describe('R47 message entities', () => {
  it('accepts every type, nesting, equal ranges and no entities at all', () => {
    ok('bold italic', [{ type: 'bold', offset: 0, length: 11 }, { type: 'italic', offset: 5, length: 6 }]);
    ok('same range', [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 0, length: 4 }, { type: 'underline', offset: 0, length: 4 }]);
    ok('u s sp c', [{ type: 'underline', offset: 0, length: 1 }, { type: 'strikethrough', offset: 2, length: 1 }, { type: 'spoiler', offset: 4, length: 2 }, { type: 'code', offset: 7, length: 1 }]);
    ok('quote\ncode', [{ type: 'blockquote', offset: 0, length: 10 }, { type: 'pre', offset: 6, length: 4, language: 'ts' }, { type: 'bold', offset: 0, length: 5 }]);
    ok('see docs', [{ type: 'text_link', offset: 4, length: 4, url: 'https://example.com/docs?a=1#x' }, { type: 'bold', offset: 4, length: 4 }]);
    ok('mail me', [{ type: 'text_link', offset: 0, length: 7, url: 'mailto:a@example.com' }]);
    ok('go https://example.com now', [{ type: 'url', offset: 3, length: 19 }]);
    ok('go www.example.com', [{ type: 'url', offset: 3, length: 15 }]);
    ok('hi @alice_b', [{ type: 'mention', offset: 3, length: 8 }]);
    ok('😀 bold', [{ type: 'bold', offset: 0, length: 2 }]); // UTF-16: the emoji is 2 units
    assert.equal(MessageContent.safeParse({ kind: 'text', text: 'plain' }).success, true);
    assert.equal(MessageContent.safeParse({ kind: 'edit', target: id, text: 'edited', entities: [{ type: 'bold', offset: 0, length: 6 }] }).success, true);
  });

  it('rejects entities out of range, empty, negative or not integers', () => {
    bad('abc', [{ type: 'bold', offset: 0, length: 4 }]);
    bad('abc', [{ type: 'bold', offset: 3, length: 1 }]);
    bad('abc', [{ type: 'bold', offset: 1, length: 0 }]);
    bad('abc', [{ type: 'bold', offset: -1, length: 2 }]);
    bad('abc', [{ type: 'bold', offset: 0.5, length: 1 }]);
    bad('abc', [{ type: 'bold', offset: 0, length: Number.MAX_SAFE_INTEGER }]);
    bad('abc', [{ type: 'blink', offset: 0, length: 1 }]);
    bad('😀', [{ type: 'bold', offset: 0, length: 1 }]); // half a surrogate pair
  });

  it('rejects partial overlaps, duplicates and forbidden nesting', () => {
    bad('abcdef', [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 2, length: 4 }]);
    bad('abcdef', [{ type: 'italic', offset: 2, length: 4 }, { type: 'bold', offset: 0, length: 4 }]);
    bad('abcdef', [{ type: 'bold', offset: 0, length: 4 }, { type: 'bold', offset: 0, length: 4 }]);
    bad('abcdef', [{ type: 'code', offset: 0, length: 6 }, { type: 'bold', offset: 1, length: 2 }]);
    ok('abcdef', [{ type: 'code', offset: 0, length: 6 }, { type: 'bold', offset: 0, length: 6 }]); // equal ranges: bold is the outer one
    bad('abcdef', [{ type: 'pre', offset: 0, length: 6 }, { type: 'italic', offset: 1, length: 1 }]);
    bad('abcdef', [{ type: 'bold', offset: 0, length: 6 }, { type: 'pre', offset: 1, length: 2 }]);
    bad('abcdef', [{ type: 'blockquote', offset: 0, length: 6 }, { type: 'blockquote', offset: 1, length: 2 }]);
    bad('abcdef', [{ type: 'bold', offset: 0, length: 6 }, { type: 'blockquote', offset: 1, length: 2 }]);
    bad('abcdef', [{ type: 'text_link', offset: 0, length: 6, url: 'https://a.example' }, { type: 'text_link', offset: 1, length: 2, url: 'https://b.example' }]);
  });

  it('rejects link targets that are not http, https or mailto, and too long ones', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox', 'file:///etc/passwd', 'https://', '//example.com', 'example.com', 'https://exa mple.com', 'mailto:', `https://example.com/${'a'.repeat(2100)}`]) {
      bad('click', [{ type: 'text_link', offset: 0, length: 5, url }]);
      assert.equal(safeLinkTarget(url), undefined, url);
    }
    bad('javascript:alert(1)', [{ type: 'url', offset: 0, length: 19 }]);
    bad('not a link', [{ type: 'url', offset: 0, length: 10 }]);
    bad('@a', [{ type: 'mention', offset: 0, length: 2 }]);
    bad('x', [{ type: 'pre', offset: 0, length: 1, language: '"><script>' }]);
  });

  it(`bounds the count at MAX_ENTITIES (${MAX_ENTITIES})`, () => {
    const t = 'a'.repeat(MAX_ENTITIES + 1);
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'bold', offset: i, length: 1 }));
    ok(t, many(MAX_ENTITIES));
    bad(t, many(MAX_ENTITIES + 1));
    bad(t, many(100_000));
    assert.match(entitiesProblem(t, many(MAX_ENTITIES + 1) as MessageEntity[]) ?? '', /more than 1000/);
  });

  it('a received text or edit with malformed entities is read as plain text, also inside history and resent', () => {
    const malformed = { kind: 'text', text: 'hello', entities: [{ type: 'bold', offset: 3, length: 9 }] };
    assert.equal(Content.safeParse(malformed).success, false);
    assert.deepEqual(parseReceivedContent(malformed), { kind: 'text', text: 'hello' });
    assert.deepEqual(parseReceivedContent({ kind: 'edit', target: id, text: 'x', entities: 'nope' }), { kind: 'edit', target: id, text: 'x' });
    const entry = { seq: 1, id, senderUserId: 'user-0001', senderDeviceId: 'device-0001', sentAt: 1, content: malformed };
    const history = parseReceivedContent({ kind: 'history', chatId: 'chat-0001', forDevice: 'device-0002', entries: [entry] });
    assert.deepEqual(history?.kind === 'history' && history.entries[0]?.content, { kind: 'text', text: 'hello' });
    const resent = parseReceivedContent({ kind: 'resent', seq: 1, id, content: malformed });
    assert.deepEqual(resent?.kind === 'resent' && resent.content, { kind: 'text', text: 'hello' });
    const good = { kind: 'text', text: 'hello', entities: [{ type: 'bold', offset: 0, length: 5 }] };
    assert.deepEqual(parseReceivedContent(good), good);
    assert.equal(parseReceivedContent({ kind: 'text', text: '' }), undefined); // still not a content
  });
});
