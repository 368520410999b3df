import type { MessageEntity } from '@parley/protocol';

/** Telegram's answer when a parse mode's text does not parse (a 400, like the original). */
export class ParseError extends Error {}

const TAGS: Record<string, MessageEntity['type']> = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', code: 'code', pre: 'pre',
  'tg-spoiler': 'spoiler', span: 'spoiler', blockquote: 'blockquote', a: 'text_link',
};
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/**
 * R94: Telegram's HTML parse mode to Parley's text and entities (R47): the tags Telegram knows
 * (b, i, u, s, code, pre, a href, tg-spoiler, blockquote) and its four named character
 * references plus numeric ones. Offsets are UTF-16 code units in both. An unknown tag or an unclosed
 * one is a ParseError ("can't parse entities"), as Telegram answers it.
 */
export function parseHtml(html: string): { text: string; entities: MessageEntity[] } {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: { tag: string; offset: number; href?: string }[] = [];
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) throw new ParseError(`Unclosed start tag at byte offset ${i}`);
      const raw = html.slice(i + 1, end).trim();
      i = end + 1;
      if (raw.startsWith('/')) {
        const name = raw.slice(1).trim().toLowerCase();
        const top = open.pop();
        if (!top || top.tag !== name) throw new ParseError(`Unmatched end tag "${name}"`);
        const type = TAGS[name]!;
        const length = text.length - top.offset;
        if (length === 0) continue;
        if (type === 'text_link') entities.push({ type, offset: top.offset, length, url: top.href ?? '' });
        else if (type === 'pre') entities.push({ type, offset: top.offset, length });
        else entities.push({ type, offset: top.offset, length } as MessageEntity);
        continue;
      }
      const name = (raw.split(/\s/)[0] ?? '').toLowerCase();
      if (!Object.hasOwn(TAGS, name)) throw new ParseError(`Unsupported start tag "${name}"`);
      const href = /href\s*=\s*"([^"]*)"|href\s*=\s*'([^']*)'/i.exec(raw);
      open.push({ tag: name, offset: text.length, ...(href ? { href: decode(href[1] ?? href[2] ?? '') } : {}) });
      continue;
    }
    if (ch === '&') {
      const end = html.indexOf(';', i);
      const ref = end > i ? html.slice(i + 1, end) : '';
      const value = NAMED[ref] ?? (ref.startsWith('#x') ? String.fromCodePoint(parseInt(ref.slice(2), 16)) : ref.startsWith('#') ? String.fromCodePoint(Number(ref.slice(1))) : undefined);
      if (value !== undefined && end > i) {
        text += value;
        i = end + 1;
        continue;
      }
    }
    text += ch;
    i += 1;
  }
  if (open.length > 0) throw new ParseError(`Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`);
  return { text, entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length) };
}

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot);/g, (_, n: string) => NAMED[n] ?? '');
}

/** Parley's entities as Telegram's (the same shapes; Telegram's `pre` and `text_link` fields agree). */
export function toTelegramEntities(entities: readonly MessageEntity[] | undefined): Record<string, unknown>[] {
  return (entities ?? []).map((e) => ({ ...e }));
}

/** Commands in a text as Telegram marks them (`/start`, `/help@some_bot`): grammY and the others route by these. */
export function commandEntities(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)/g)) {
    out.push({ type: 'bot_command', offset: (m.index ?? 0) + (m[1]?.length ?? 0), length: m[2]!.length });
  }
  return out;
}
