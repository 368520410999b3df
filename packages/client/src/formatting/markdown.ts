import {
  entitiesProblem, MAX_ENTITIES, mentionHandle, safeLinkTarget, sortEntities, urlEntityTarget, type MessageEntity,
} from '@parley/protocol';
import { formattedTree, type FormattedNode } from './tree.ts';

/**
 * Parley's Markdown-like typing (R47), what the web composer and `parley send --markdown` send:
 *
 *   **bold**  _italic_ or __italic__  ++underline++  ~~strike~~  ||spoiler||  `code`
 *   ```lang            > quoted line      [text](https://example.com)
 *   code block         > another
 *   ```
 *
 * A backslash before a marker character keeps it as is (`\*`). `_` marks only at word edges, so
 * snake_case stays as typed. Markers without their pair are plain text. Links (http, https, `www.`)
 * and @handles in the text are detected on the way. The result always passes the schema.
 */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

type Marker = '**' | '__' | '++' | '~~' | '||' | '_';
const MARKERS: readonly [Marker, MessageEntity['type']][] = [['**', 'bold'], ['__', 'italic'], ['++', 'underline'], ['~~', 'strikethrough'], ['||', 'spoiler'], ['_', 'italic']];
const ESCAPABLE = new Set(['\\', '*', '_', '~', '`', '|', '[', ']', '(', ')', '>', '+']);
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const isWord = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

class Builder {
  text = '';
  entities: MessageEntity[] = [];
  add(entity: MessageEntity) {
    if (entity.length > 0) this.entities.push(entity);
  }
}

export function parseMarkdown(source: string, opts: { detectLinks?: boolean } = {}): FormattedText {
  const out = new Builder();
  // Code blocks first: nothing inside them is markup.
  let i = 0;
  let from = 0;
  while ((i = source.indexOf('```', i)) !== -1) {
    const block = fencedAt(source, i);
    if (!block) { i += 3; continue; }
    lines(source.slice(from, i), out);
    if (out.text.length > 0 && !out.text.endsWith('\n')) out.text += '\n'; // a block starts a line
    const start = out.text.length;
    out.text += block.code;
    out.add({ type: 'pre', offset: start, length: block.code.length, ...(block.language ? { language: block.language } : {}) });
    i = from = block.end;
  }
  lines(source.slice(from), out);
  let result = trim(out.text, out.entities);
  if (opts.detectLinks ?? true) result = { text: result.text, entities: detectLinks(result.text, result.entities) };
  return { text: result.text, entities: keepValid(result.text, result.entities) };
}

/** A ``` block at `i`: ```lang⏎code``` or ```code```. */
function fencedAt(s: string, i: number): { code: string; language: string | undefined; end: number } | undefined {
  let bodyStart = i + 3;
  let language: string | undefined;
  const eol = s.indexOf('\n', bodyStart);
  const firstLine = s.slice(bodyStart, eol === -1 ? s.length : eol);
  if (eol !== -1 && /^[A-Za-z0-9_+#.-]{0,32}$/.test(firstLine)) {
    language = firstLine || undefined;
    bodyStart = eol + 1;
  }
  const close = s.indexOf('```', bodyStart);
  if (close === -1) return undefined;
  let code = s.slice(bodyStart, close);
  if (code.endsWith('\n')) code = code.slice(0, -1);
  if (!code) return undefined;
  let end = close + 3;
  if (s[end] === '\n') end += 1; // the fence's own line break: the block is a block
  return { code, language, end };
}

/** Lines outside code blocks: runs of `>` lines are quotes, the rest inline markup. */
function lines(s: string, out: Builder): void {
  const all = s.split('\n');
  let k = 0;
  while (k < all.length) {
    const quoted = /^>/.test(all[k]!);
    const run: string[] = [];
    while (k < all.length && /^>/.test(all[k]!) === quoted) run.push(quoted ? all[k]!.replace(/^> ?/, '') : all[k]!), k++;
    if (out.text.length > 0 && !out.text.endsWith('\n')) out.text += '\n';
    const start = out.text.length;
    inline(run.join('\n'), 0, run.join('\n').length, out);
    if (quoted && out.text.length > start) out.add({ type: 'blockquote', offset: start, length: out.text.length - start });
    if (k < all.length && !quoted) out.text += '\n';
  }
}

function inline(s: string, start: number, end: number, out: Builder): void {
  let i = start;
  while (i < end) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < end && ESCAPABLE.has(s[i + 1]!)) {
      out.text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const close = s.indexOf('`', i + 1);
      if (close !== -1 && close < end && close > i + 1) {
        out.add({ type: 'code', offset: out.text.length, length: close - i - 1 });
        out.text += s.slice(i + 1, close);
        i = close + 1;
        continue;
      }
    }
    if (c === '[') {
      const link = linkAt(s, i, end);
      if (link) {
        const at = out.text.length;
        inline(s, i + 1, link.textEnd, out);
        out.add({ type: 'text_link', offset: at, length: out.text.length - at, url: link.url });
        i = link.end;
        continue;
      }
    }
    const marker = MARKERS.find(([m]) => s.startsWith(m, i) && canOpen(s, i, m));
    if (marker) {
      const [m, type] = marker;
      const close = closerOf(s, i + m.length, end, m);
      if (close !== undefined) {
        const at = out.text.length;
        inline(s, i + m.length, close, out);
        out.add({ type, offset: at, length: out.text.length - at } as MessageEntity);
        i = close + m.length;
        continue;
      }
    }
    out.text += c;
    i += 1;
  }
}

function canOpen(s: string, i: number, m: Marker): boolean {
  if (isSpace(s[i + m.length])) return false;
  return m[0] !== '_' || !isWord(s[i - 1]);
}

function canClose(s: string, i: number, m: Marker): boolean {
  if (isSpace(s[i - 1])) return false;
  if (m === '_' && (s[i + 1] === '_' || s[i - 1] === '_')) return false;
  return m[0] !== '_' || !isWord(s[i + m.length]);
}

/** Where `m` closes what opened before `from`, skipping escapes and code spans; not right at `from` (no empty spans). */
function closerOf(s: string, from: number, end: number, m: Marker): number | undefined {
  let j = from;
  while (j < end) {
    if (s[j] === '\\') { j += 2; continue; }
    if (s[j] === '`') {
      const close = s.indexOf('`', j + 1);
      if (close !== -1 && close < end) { j = close + 1; continue; }
    }
    if (j > from && s.startsWith(m, j) && j + m.length <= end && canClose(s, j, m)) return j;
    j += 1;
  }
  return undefined;
}

/** `[text](url)` at `i` with a safe target. */
function linkAt(s: string, i: number, end: number): { textEnd: number; url: string; end: number } | undefined {
  const textEnd = s.indexOf('](', i + 1);
  if (textEnd === -1 || textEnd + 2 >= end || textEnd === i + 1) return undefined;
  if (s.slice(i + 1, textEnd).includes('\n')) return undefined;
  const close = s.indexOf(')', textEnd + 2);
  if (close === -1 || close > end) return undefined;
  const url = safeLinkTarget(s.slice(textEnd + 2, close));
  return url ? { textEnd, url, end: close + 1 } : undefined;
}

/** White space around the text goes (the composer sends what it shows), entities kept inside. */
function trim(text: string, entities: readonly MessageEntity[]): FormattedText {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept: MessageEntity[] = [];
  for (const e of entities) {
    const start = Math.max(0, e.offset - lead);
    const end = Math.min(trimmed.length, e.offset + e.length - lead);
    if (end > start) kept.push({ ...e, offset: start, length: end - start });
  }
  return { text: trimmed, entities: kept };
}

const LINK = /(?:https?:\/\/|www\.)[^\s<>"'`]+|mailto:[^\s<>"'`]+/giu;
const MENTION = /(?<![\p{L}\p{N}_@.])@[a-z][a-z0-9_]{2,31}(?![\p{L}\p{N}_])/gu;

/**
 * Adds `url` entities for links written out (http, https, mailto, `www.`) and `mention` entities for
 * @handles, outside code, code blocks and links; one that would cut across an entity is left out.
 */
export function detectLinks(text: string, entities: readonly MessageEntity[]): MessageEntity[] {
  const result = [...entities];
  const found: MessageEntity[] = [];
  for (const match of text.matchAll(LINK)) {
    let link = match[0].replace(/[.,;:!?'"]+$/, '');
    while (link.endsWith(')') && (link.match(/\(/g)?.length ?? 0) < (link.match(/\)/g)?.length ?? 0)) link = link.slice(0, -1);
    if (urlEntityTarget(link) !== undefined) found.push({ type: 'url', offset: match.index, length: link.length });
  }
  for (const match of text.matchAll(MENTION)) {
    if (mentionHandle(match[0]) !== undefined) found.push({ type: 'mention', offset: match.index, length: match[0].length });
  }
  const literal = entities.filter((e) => e.type === 'code' || e.type === 'pre' || e.type === 'text_link');
  for (const e of found) {
    if (result.length >= MAX_ENTITIES) break;
    if (literal.some((l) => l.offset < e.offset + e.length && e.offset < l.offset + l.length)) continue;
    if (entitiesProblem(text, [...result, e]) === undefined) result.push(e);
  }
  return result;
}

/** The entities that keep R47 together, taken in order (a safety net: the parser should make none other). */
function keepValid(text: string, entities: readonly MessageEntity[]): MessageEntity[] {
  const sorted = sortEntities(entities);
  if (sorted.length <= MAX_ENTITIES && entitiesProblem(text, sorted) === undefined) return sorted;
  const kept: MessageEntity[] = [];
  for (const e of sorted) {
    if (kept.length < MAX_ENTITIES && entitiesProblem(text, [...kept, e]) === undefined) kept.push(e);
  }
  return kept;
}

const OPEN: Partial<Record<MessageEntity['type'], string>> = { bold: '**', italic: '_', underline: '++', strikethrough: '~~', spoiler: '||', code: '`' };

/**
 * The Markdown-like source of a formatted text, for editing it in the composer: `parseMarkdown` of
 * the result gives the text and entities back (markers in the text are escaped when they would not).
 */
export function toMarkdown(text: string, entities: readonly MessageEntity[] | undefined): string {
  const tree = formattedTree(text, entities);
  const plain = write(tree, false);
  if (same(parseMarkdown(plain), text, entities)) return plain;
  return write(tree, true);
}

function same(parsed: FormattedText, text: string, entities: readonly MessageEntity[] | undefined): boolean {
  const key = (es: readonly MessageEntity[]) => JSON.stringify(sortEntities(es.filter((e) => e.type !== 'url' && e.type !== 'mention')));
  return parsed.text === text && key(parsed.entities) === key(entities ?? []);
}

function write(nodes: readonly FormattedNode[], escape: boolean): string {
  return nodes.map((n) => {
    if (n.kind === 'text') return escape ? n.text.replace(/[\\*_~`|[\]()+]/g, '\\$&').replace(/^>/gm, '\\>') : n.text;
    const e = n.entity;
    const inner = () => write(n.children, escape);
    switch (e.type) {
      case 'code': return '`' + n.text + '`';
      case 'pre': return '```' + (e.language ?? '') + '\n' + n.text + '\n```';
      case 'blockquote': return inner().split('\n').map((l) => `> ${l}`).join('\n');
      case 'text_link': return `[${inner()}](${e.url})`;
      case 'url': case 'mention': return inner();
      default: return OPEN[e.type]! + inner() + OPEN[e.type]!;
    }
  }).join('');
}
