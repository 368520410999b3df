/**
 * What the formatting toolbar and its shortcuts do to the composer's text: the composer is a plain
 * textarea whose Markdown-like text is the source of truth (R47, `parseMarkdown` on send), so a
 * format wraps the selection in its markers, or takes them away when they are already there.
 */
export type Format = 'bold' | 'italic' | 'underline' | 'strike' | 'code' | 'spoiler' | 'link' | 'quote';

export const FORMATS: readonly Format[] = ['bold', 'italic', 'underline', 'strike', 'code', 'spoiler', 'link', 'quote'];

/** Ctrl (Cmd on a Mac) with these keys; `code` is KeyboardEvent.code, so any keyboard layout works. */
export const SHORTCUTS: Readonly<Record<Format, { code: string; shift: boolean; label: string }>> = {
  bold: { code: 'KeyB', shift: false, label: 'B' },
  italic: { code: 'KeyI', shift: false, label: 'I' },
  underline: { code: 'KeyU', shift: false, label: 'U' },
  strike: { code: 'KeyX', shift: true, label: 'Shift+X' },
  code: { code: 'KeyM', shift: true, label: 'Shift+M' },
  spoiler: { code: 'KeyP', shift: true, label: 'Shift+P' },
  link: { code: 'KeyK', shift: false, label: 'K' },
  quote: { code: 'Period', shift: true, label: 'Shift+.' },
};

/** The format a key press asks for, if any. */
export function shortcutFormat(e: { code: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }): Format | undefined {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return undefined;
  return FORMATS.find((f) => SHORTCUTS[f].code === e.code && SHORTCUTS[f].shift === e.shiftKey);
}

const MARKER: Partial<Record<Format, string>> = { bold: '**', italic: '_', underline: '++', strike: '~~', spoiler: '||', code: '`' };

/** Replace `value[from, to)` with `insert`, then select `[selStart, selEnd)`. */
export interface TextEdit { from: number; to: number; insert: string; selStart: number; selEnd: number }

export function formatEdit(value: string, start: number, end: number, format: Format): TextEdit {
  if (format === 'quote') return quoteEdit(value, start, end);
  if (format === 'link') return linkEdit(value, start, end);
  if (format === 'code' && value.slice(start, end).includes('\n')) {
    const sel = value.slice(start, end);
    const before = start > 0 && value[start - 1] !== '\n' ? '\n' : '';
    const insert = `${before}\`\`\`\n${sel}\n\`\`\``;
    return { from: start, to: end, insert, selStart: start + before.length + 4, selEnd: start + before.length + 4 + sel.length };
  }
  const m = MARKER[format]!;
  // Already wrapped: take the markers away (around the selection, or at its own edges).
  if (value.slice(start - m.length, start) === m && value.slice(end, end + m.length) === m) {
    return { from: start - m.length, to: end + m.length, insert: value.slice(start, end), selStart: start - m.length, selEnd: end - m.length };
  }
  const sel = value.slice(start, end);
  if (sel.length > 2 * m.length && sel.startsWith(m) && sel.endsWith(m)) {
    const inner = sel.slice(m.length, -m.length);
    return { from: start, to: end, insert: inner, selStart: start, selEnd: start + inner.length };
  }
  // White space at the selection's edges stays outside: "** bold**" would not be bold.
  const lead = sel.length - sel.trimStart().length;
  const trail = sel.length - sel.trimEnd().length;
  const from = sel.trim() ? start + lead : start;
  const to = sel.trim() ? end - trail : end;
  const inner = value.slice(from, to);
  return { from, to, insert: m + inner + m, selStart: from + m.length, selEnd: from + m.length + inner.length };
}

function linkEdit(value: string, start: number, end: number): TextEdit {
  const sel = value.slice(start, end);
  if (/^(https?:\/\/|mailto:)\S+$/.test(sel)) {
    // The selection is the target: the text to show goes in the brackets.
    return { from: start, to: end, insert: `[](${sel})`, selStart: start + 1, selEnd: start + 1 };
  }
  const insert = `[${sel}](https://)`;
  const url = start + sel.length + 3;
  return { from: start, to: end, insert, selStart: sel ? url : start + 1, selEnd: sel ? url + 'https://'.length : start + 1 };
}

function quoteEdit(value: string, start: number, end: number): TextEdit {
  const from = value.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = value.indexOf('\n', end > start && value[end - 1] === '\n' ? end - 1 : end);
  const to = lineEnd === -1 ? value.length : lineEnd;
  const lines = value.slice(from, to).split('\n');
  const quoted = lines.every((l) => l.startsWith('>'));
  const insert = lines.map((l) => (quoted ? l.replace(/^> ?/, '') : `> ${l}`)).join('\n');
  return { from, to, insert, selStart: from, selEnd: from + insert.length };
}
