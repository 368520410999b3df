import type { MessageEntity } from '@parley/protocol';
import { ParseError } from './parse-mode.ts';

/** Characters MarkdownV2 reserves: outside markup each must be escaped with `\`, as Telegram insists. */
const RESERVED = new Set('_*[]()~`>#+-=|{}.!');

type Mark = '*' | '_' | '__' | '~' | '||';
const TYPE: Record<Mark, MessageEntity['type']> = { '*': 'bold', _: 'italic', __: 'underline', '~': 'strikethrough', '||': 'spoiler' };

/**
 * R94: Telegram's MarkdownV2 parse mode to Parley's text and entities (R47): `*bold*`, `_italic_`,
 * `__underline__`, `~strike~`, `||spoiler||`, `` `code` ``, ```` ```lang pre``` ````, `[text](url)`,
 * `>` quoted lines, and `\` escapes. As Telegram does, a reserved character that is neither markup nor
 * escaped, or markup left open, is a ParseError ("can't parse entities").
 */
export function parseMarkdownV2(src: string): { text: string; entities: MessageEntity[] } {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: { mark: Mark | '['; offset: number }[] = [];
  let quoteStart: number | undefined;
  let i = 0;
  const closeQuote = () => {
    if (quoteStart !== undefined && text.length > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
    quoteStart = undefined;
  };
  while (i < src.length) {
    const ch = src[i]!;
    const atLineStart = i === 0 || src[i - 1] === '\n';
    if (atLineStart && ch === '>') {
      quoteStart ??= text.length;
      i += 1;
      continue;
    }
    if (atLineStart && quoteStart !== undefined) {
      // The quote ends at the first line that does not start with `>` (the newline stays inside).
      closeQuote();
    }
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === undefined) throw new ParseError('Character \'\\\' is reserved and must be escaped with the preceding \'\\\'');
      text += next;
      i += 2;
      continue;
    }
    if (ch === '`') {
      const fence = src.startsWith('```', i);
      const end = fence ? src.indexOf('```', i + 3) : src.indexOf('`', i + 1);
      if (end < 0) throw new ParseError(`Can't find end of ${fence ? 'Pre' : 'Code'} entity at byte offset ${i}`);
      let body = src.slice(i + (fence ? 3 : 1), end);
      let language: string | undefined;
      if (fence) {
        const nl = body.indexOf('\n');
        if (nl >= 0 && /^[A-Za-z0-9_+#.-]+$/.test(body.slice(0, nl))) {
          language = body.slice(0, nl);
          body = body.slice(nl + 1);
        } else if (nl === 0) body = body.slice(1);
      }
      body = body.replace(/\\([`\\])/g, '$1');
      if (body.length > 0) {
        entities.push(fence ? { type: 'pre', offset: text.length, length: body.length, ...(language ? { language } : {}) } : { type: 'code', offset: text.length, length: body.length });
      }
      text += body;
      i = end + (fence ? 3 : 1);
      continue;
    }
    const mark: Mark | undefined = src.startsWith('__', i) ? '__' : src.startsWith('||', i) ? '||' : ch === '*' || ch === '_' || ch === '~' ? (ch as Mark) : undefined;
    if (mark) {
      const top = open.at(-1);
      if (top?.mark === mark) {
        open.pop();
        if (text.length > top.offset) entities.push({ type: TYPE[mark], offset: top.offset, length: text.length - top.offset } as MessageEntity);
      } else {
        open.push({ mark, offset: text.length });
      }
      i += mark.length;
      continue;
    }
    if (ch === '[') {
      open.push({ mark: '[', offset: text.length });
      i += 1;
      continue;
    }
    if (ch === ']' && open.at(-1)?.mark === '[' && src[i + 1] === '(') {
      const top = open.pop()!;
      const end = src.indexOf(')', i + 2);
      if (end < 0) throw new ParseError(`Can't find end of a URL at byte offset ${i}`);
      const url = src.slice(i + 2, end).replace(/\\([)\\])/g, '$1');
      if (text.length > top.offset) entities.push({ type: 'text_link', offset: top.offset, length: text.length - top.offset, url });
      i = end + 1;
      continue;
    }
    if (RESERVED.has(ch)) throw new ParseError(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
    text += ch;
    i += 1;
  }
  closeQuote();
  if (open.length > 0) throw new ParseError(`Can't find end of the entity starting at byte offset ${open.at(-1)!.offset}`);
  return { text, entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length) };
}
