import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMarkdownV2 } from './markdown-v2.ts';
import { ParseError } from './parse-mode.ts';

describe('Telegram MarkdownV2 parse mode to Parley entities (R94)', () => {
  it('maps the markup to entities, nested ones too, and unescapes', () => {
    assert.deepEqual(parseMarkdownV2('*bold _italic bold_* and __under__ \\. ~s~ ||sp||'), {
      text: 'bold italic bold and under . s sp',
      entities: [
        { type: 'bold', offset: 0, length: 16 }, { type: 'italic', offset: 5, length: 11 }, { type: 'underline', offset: 21, length: 5 },
        { type: 'strikethrough', offset: 29, length: 1 }, { type: 'spoiler', offset: 31, length: 2 },
      ],
    });
    assert.deepEqual(parseMarkdownV2('[site](https://x.example/a_b) `a*b` ```js\nlet x;\n```'), {
      text: 'site a*b let x;\n',
      entities: [{ type: 'text_link', offset: 0, length: 4, url: 'https://x.example/a_b' }, { type: 'code', offset: 5, length: 3 }, { type: 'pre', offset: 9, length: 7, language: 'js' }],
    });
    assert.deepEqual(parseMarkdownV2('>quoted\n>lines\nafter'), { text: 'quoted\nlines\nafter', entities: [{ type: 'blockquote', offset: 0, length: 13 }] });
  });

  it('an unescaped reserved character or open markup is an error, as Telegram answers', () => {
    assert.throws(() => parseMarkdownV2('Price: 5.00'), ParseError);
    assert.throws(() => parseMarkdownV2('*open'), ParseError);
    assert.throws(() => parseMarkdownV2('`code'), ParseError);
    assert.equal(parseMarkdownV2('Price: 5\\.00\\!').text, 'Price: 5.00!');
  });
});
