import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMarkdown } from '@parley/client';
import { formatEdit, shortcutFormat, type Format } from './format-edit.ts';

const run = (value: string, start: number, end: number, format: Format) => {
  const e = formatEdit(value, start, end, format);
  const next = value.slice(0, e.from) + e.insert + value.slice(e.to);
  return { next, sel: next.slice(e.selStart, e.selEnd) };
};

test('R47 toolbar formats wrap the selection in markers that parse back, and a second press takes them away', () => {
  assert.deepEqual(run('make this bold', 5, 9, 'bold'), { next: 'make **this** bold', sel: 'this' });
  assert.deepEqual(run('make **this** bold', 7, 11, 'bold'), { next: 'make this bold', sel: 'this' });
  assert.deepEqual(run('make **this** bold', 5, 13, 'bold'), { next: 'make this bold', sel: 'this' });
  assert.deepEqual(run('a word here', 1, 7, 'italic'), { next: 'a _word_ here', sel: 'word' }, 'white space stays outside');
  assert.deepEqual(run('x', 1, 1, 'strike'), { next: 'x~~~~', sel: '' });
  assert.deepEqual(run('see docs', 4, 8, 'link'), { next: 'see [docs](https://)', sel: 'https://' });
  assert.deepEqual(run('line one\nline two', 2, 12, 'quote'), { next: '> line one\n> line two', sel: '> line one\n> line two' });
  assert.deepEqual(run('> line one\n> line two', 0, 3, 'quote').next, 'line one\n> line two');
  assert.deepEqual(run('a\nb', 0, 3, 'code').next, '```\na\nb\n```');
  for (const f of ['bold', 'italic', 'underline', 'strike', 'code', 'spoiler'] as const) {
    const { next } = run('say hello there', 4, 9, f);
    const parsed = parseMarkdown(next);
    assert.equal(parsed.text, 'say hello there', f);
    assert.equal(parsed.entities.length, 1, f);
  }
});

test('R47 shortcuts: Ctrl or Cmd, by key position', () => {
  const key = (code: string, o: { shift?: boolean; meta?: boolean; alt?: boolean } = {}) =>
    shortcutFormat({ code, ctrlKey: !o.meta, metaKey: !!o.meta, shiftKey: !!o.shift, altKey: !!o.alt });
  assert.equal(key('KeyB'), 'bold');
  assert.equal(key('KeyI', { meta: true }), 'italic');
  assert.equal(key('KeyX', { shift: true }), 'strike');
  assert.equal(key('KeyM', { shift: true }), 'code');
  assert.equal(key('KeyK'), 'link');
  assert.equal(key('KeyX'), undefined, 'Ctrl+X stays cut');
  assert.equal(key('KeyB', { alt: true }), undefined);
});
