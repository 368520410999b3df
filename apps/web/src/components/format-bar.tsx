import { useEffect, useLayoutEffect, useRef, useState, type FocusEvent, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.ts';
import { FORMATS, formatEdit, SHORTCUTS, shortcutFormat, type Format, type TextEdit } from './format-edit.ts';
import { Icon } from './icons.tsx';

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform);

export interface Formatting {
  /** The person turned the toolbar on (the toggle). */
  open: boolean;
  setOpen(open: boolean): void;
  /** Shown: turned on, or text is selected in the composer. */
  visible: boolean;
  apply(format: Format): void;
  onSelect(): void;
  onBlur(e: FocusEvent): void;
  /** Handles a formatting shortcut; true when it was one. */
  onKeyDown(e: KeyboardEvent): boolean;
}

/**
 * The composer's formatting state. An edit goes through `insertText` so the browser's own undo
 * (Ctrl+Z) takes it back; where that is missing the value is set and the selection restored after.
 */
export function useFormatting(inputRef: RefObject<HTMLTextAreaElement | null>, setValue: (value: string) => void): Formatting {
  const [open, setOpen] = useState(false);
  const [selected, setSelected] = useState(false);
  const pending = useRef<TextEdit | null>(null);
  useLayoutEffect(() => {
    const edit = pending.current;
    if (edit && inputRef.current) {
      pending.current = null;
      inputRef.current.setSelectionRange(edit.selStart, edit.selEnd);
    }
  });
  // A selection made any way (mouse, keyboard, script) shows the toolbar: the textarea's own `select`
  // event, and the document's `selectionchange` for a selection that shrinks to a caret.
  useEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    const check = () => {
      if (document.activeElement === el) setSelected(el.selectionStart !== el.selectionEnd);
    };
    el.addEventListener('select', check);
    document.addEventListener('selectionchange', check);
    return () => {
      el.removeEventListener('select', check);
      document.removeEventListener('selectionchange', check);
    };
  }, [inputRef]);
  const apply = (format: Format) => {
    const el = inputRef.current;
    if (!el) return;
    const edit = formatEdit(el.value, el.selectionStart, el.selectionEnd, format);
    el.focus();
    el.setSelectionRange(edit.from, edit.to);
    if (document.execCommand('insertText', false, edit.insert) && el.value.slice(edit.from, edit.from + edit.insert.length) === edit.insert) {
      el.setSelectionRange(edit.selStart, edit.selEnd);
    } else {
      pending.current = edit;
      setValue(el.value.slice(0, edit.from) + edit.insert + el.value.slice(edit.to));
    }
    setSelected(edit.selStart !== edit.selEnd);
  };
  return {
    open, setOpen, visible: open || selected, apply,
    onSelect: () => {
      const el = inputRef.current;
      if (el) setSelected(el.selectionStart !== el.selectionEnd);
    },
    onBlur: (e) => {
      if (!(e.relatedTarget instanceof Element && e.relatedTarget.closest('.format-bar'))) setSelected(false);
    },
    onKeyDown: (e) => {
      const format = shortcutFormat(e);
      if (!format) return false;
      e.preventDefault();
      apply(format);
      return true;
    },
  };
}

const LABEL: Record<Format, MessageKey> = {
  bold: 'fmtBold', italic: 'fmtItalic', underline: 'fmtUnderline', strike: 'fmtStrike', code: 'fmtCode', spoiler: 'fmtSpoiler', link: 'fmtLink', quote: 'fmtQuote',
};
const FACE: Record<Format, ReactNode> = {
  bold: <span className="b">B</span>, italic: <span className="i">I</span>, underline: <span className="u">U</span>, strike: <span className="s">S</span>,
  code: <span className="c">{'</>'}</span>, spoiler: <Icon name="spoiler" size={18} />, link: <Icon name="link" size={18} />, quote: <Icon name="quote" size={18} />,
};

/** The toolbar over the composer: each button formats the selection (it keeps the composer's focus). */
export function FormatBar({ formatting }: { formatting: Formatting }) {
  const { t } = useI18n();
  const mod = isMac() ? 'Meta' : 'Control';
  const modLabel = isMac() ? '⌘' : 'Ctrl+';
  return (
    <div className="format-bar" role="toolbar" aria-label={t('formattingBar')} data-testid="format-bar">
      {FORMATS.map((f) => {
        const s = SHORTCUTS[f];
        const key = s.code === 'Period' ? '.' : s.code.slice(3);
        return (
          <button key={f} type="button" className="icon" aria-label={t(LABEL[f])} title={`${t(LABEL[f])} (${modLabel}${s.label})`}
            aria-keyshortcuts={`${mod}+${s.shift ? 'Shift+' : ''}${key}`}
            onMouseDown={(e) => e.preventDefault()} onClick={() => formatting.apply(f)}>
            {FACE[f]}
          </button>
        );
      })}
    </div>
  );
}
