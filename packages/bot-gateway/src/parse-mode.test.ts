import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandEntities, parseHtml, ParseError } from './parse-mode.ts';
import { trimmed } from './telegram-chats.ts';

describe('Telegram HTML parse mode to Parley entities (R94)', () => {
  it('maps Telegram\'s tags to entities with UTF-16 offsets and decodes character references', () => {
    assert.deepEqual(parseHtml('<b>bold</b> and <i>it</i> &amp; <a href="https://x.example/?a=1&amp;b=2">link</a>'), {
      text: 'bold and it & link',
      entities: [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 9, length: 2 }, { type: 'text_link', offset: 14, length: 4, url: 'https://x.example/?a=1&b=2' }],
    });
    assert.deepEqual(parseHtml('😀 <code>x&lt;y</code>'), { text: '😀 x<y', entities: [{ type: 'code', offset: 3, length: 3 }] });
    // R151: a quiz explanation is trimmed by its schema: its entities move with it.
    assert.deepEqual(trimmed(' \n<b>ab</b> c '.replace(/<\/?b>/g, ''), [{ type: 'bold', offset: 1, length: 3 }]), { text: 'ab c', entities: [{ type: 'bold', offset: 0, length: 2 }] });
    assert.deepEqual(parseHtml('<tg-spoiler>s</tg-spoiler><s>t</s><u>u</u>').entities.map((e) => e.type), ['spoiler', 'strikethrough', 'underline']);
  });

  it('an unknown, unclosed or mismatched tag is a parse error, as Telegram answers', () => {
    assert.throws(() => parseHtml('<script>x</script>'), ParseError);
    assert.throws(() => parseHtml('<b>open'), ParseError);
    assert.throws(() => parseHtml('<b><i>x</b></i>'), ParseError);
    assert.throws(() => parseHtml('a < b'), ParseError);
  });

  it('marks commands as bot_command entities, as Telegram does for people\'s messages', () => {
    assert.deepEqual(commandEntities('/start'), [{ type: 'bot_command', offset: 0, length: 6 }]);
    assert.deepEqual(commandEntities('say /help@pager_bot now'), [{ type: 'bot_command', offset: 4, length: 15 }]);
    assert.deepEqual(commandEntities('a/b and http://x/y'), []);
  });
});
