import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entitiesProblem, MessageContent, type MessageEntity } from '@parley/protocol';
import { detectLinks, parseMarkdown, toMarkdown } from './markdown.ts';
import { formattedTree } from './tree.ts';

const md = (source: string) => parseMarkdown(source);
const spans = (source: string) => {
  const { text, entities } = md(source);
  return entities.map((e) => `${e.type}:${text.slice(e.offset, e.offset + e.length)}${e.type === 'text_link' ? `->${e.url}` : ''}${e.type === 'pre' && e.language ? `(${e.language})` : ''}`);
};

describe('R47 Markdown-like typing', () => {
  it('turns each marker into its entity and removes the markers', () => {
    assert.deepEqual(md('**bold** _it_ __it2__ ++u++ ~~s~~ ||sp|| `c`').text, 'bold it it2 u s sp c');
    assert.deepEqual(spans('**bold** _it_ __it2__ ++u++ ~~s~~ ||sp|| `c`'),
      ['bold:bold', 'italic:it', 'italic:it2', 'underline:u', 'strikethrough:s', 'spoiler:sp', 'code:c']);
    assert.deepEqual(spans('see [the docs](https://example.com/a_b) now'), ['text_link:the docs->https://example.com/a_b']);
    assert.deepEqual(spans('**bold _and italic_**'), ['bold:bold and italic', 'italic:and italic']);
  });

  it('code blocks, with a language, and quotes', () => {
    const block = md('look:\n```ts\nconst a = **b**;\n```\nafter');
    assert.equal(block.text, 'look:\nconst a = **b**;\nafter');
    assert.deepEqual(spans('look:\n```ts\nconst a = **b**;\n```\nafter'), ['pre:const a = **b**;(ts)']);
    assert.deepEqual(spans('```pre```'), ['pre:pre']);
    const quote = md('> first\n> **second**\nreply');
    assert.equal(quote.text, 'first\nsecond\nreply');
    assert.deepEqual(spans('> first\n> **second**\nreply'), ['blockquote:first\nsecond', 'bold:second']);
  });

  it('leaves text alone where markers have no pair, sit inside words (_) or are escaped', () => {
    for (const plain of ['snake_case_name', '2 * 3 ** 4', 'a ** b', 'C:\\Users\\me', 'x > y', '||', '``', '****', '[no link](javascript:alert(1))', '[x](data:text/html,hi)']) {
      const r = md(plain);
      assert.equal(r.text, plain, plain);
      assert.deepEqual(r.entities, [], plain);
    }
    assert.equal(md('\\*\\*not bold\\*\\*').text, '**not bold**');
    assert.deepEqual(md('\\*\\*not bold\\*\\*').entities, []);
  });

  it('detects links and @handles outside code, and trims white space around the text', () => {
    assert.deepEqual(spans('  go to https://example.com/x_(y). or www.example.org, ask @alice_b  '), ['url:https://example.com/x_(y)', 'url:www.example.org', 'mention:@alice_b']);
    assert.deepEqual(spans('`https://example.com` and me@example.com'), ['code:https://example.com']);
    assert.deepEqual(spans('[**https://a.example**](https://b.example)'), ['text_link:https://a.example->https://b.example/', 'bold:https://a.example']);
    assert.deepEqual(detectLinks('javascript:alert(1) data:x', []), []);
  });

  it('always gives entities the schema accepts (a fuzz of marker soup)', () => {
    const pieces = ['**', '_', '__', '++', '~~', '||', '`', '```', '\n', '> ', '[', '](https://e.example)', ' ', 'a', 'é', '😀', '\\', 'https://x.example', '@bob_b'];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 1500; n++) {
      const source = Array.from({ length: 1 + Math.floor(rnd() * 14) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
      const { text, entities } = md(source);
      if (!text) continue;
      assert.equal(entitiesProblem(text, entities), undefined, JSON.stringify(source));
      assert.equal(MessageContent.safeParse({ kind: 'text', text, entities }).success, true, JSON.stringify(source));
    }
  });

  it('toMarkdown gives back a source that parses to the same text and entities (for editing)', () => {
    for (const source of ['**bold** and _it_ ++u++ ~~s~~ ||sp|| `c`', 'look:\n```ts\ncode\n```\nafter', '> q1\n> q2\nafter', 'see [docs](https://example.com/)', 'literal \\*\\*stars\\*\\* and snake_case', 'https://example.com plain']) {
      const parsed = md(source);
      const again = md(toMarkdown(parsed.text, parsed.entities));
      assert.deepEqual(again, parsed, source);
    }
    const stars: MessageEntity[] = [];
    assert.equal(md(toMarkdown('**not bold**', stars)).text, '**not bold**');
  });
});

describe('R47 formatted tree', () => {
  it('nests entities and falls back to plain text for malformed ones', () => {
    assert.deepEqual(formattedTree('ab cd', [{ type: 'bold', offset: 0, length: 5 }, { type: 'italic', offset: 3, length: 2 }]), [
      { kind: 'entity', entity: { type: 'bold', offset: 0, length: 5 }, text: 'ab cd', children: [
        { kind: 'text', text: 'ab ' },
        { kind: 'entity', entity: { type: 'italic', offset: 3, length: 2 }, text: 'cd', children: [{ kind: 'text', text: 'cd' }] },
      ] },
    ]);
    assert.deepEqual(formattedTree('abcdef', [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 2, length: 4 }]), [{ kind: 'text', text: 'abcdef' }]);
    assert.deepEqual(formattedTree('x', [{ type: 'text_link', offset: 0, length: 1, url: 'javascript:alert(1)' }]), [{ kind: 'text', text: 'x' }]);
  });
});
