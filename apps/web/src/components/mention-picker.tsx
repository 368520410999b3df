import { useState } from 'react';
import type { Member } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';

/** The `@word` being typed right before the caret, if any: where it starts and what is typed after the @. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const match = /(^|[\s(])@([a-z0-9_]{0,32})$/i.exec(text.slice(0, caret));
  if (!match) return undefined;
  return { start: caret - (match[2] ?? '').length - 1, query: (match[2] ?? '').toLowerCase() };
}

/** `command`: a bot's command (R108), shown as `/handle  name`. */
export interface MentionChoice { handle: string; name: string; command?: boolean }

/**
 * R88: who `@` can name in this chat: its members by handle or name (not oneself), and `@all` for
 * its admins and owner. At most eight, best matches (handle prefix) first.
 */
export function mentionChoices(members: readonly Member[], me: string, query: string, allLabel: string): MentionChoice[] {
  const self = members.find((m) => m.userId === me);
  const out: MentionChoice[] = [];
  if ((self?.role === 'admin' || self?.role === 'owner') && 'all'.startsWith(query)) out.push({ handle: 'all', name: allLabel });
  // Only people whose handle this user sees (R72 hides some from students).
  const others = members.flatMap((m) => (m.userId !== me && m.handle ? [{ handle: m.handle, name: m.displayName }] : []));
  const byHandle = others.filter((m) => m.handle.startsWith(query));
  const byName = others.filter((m) => !m.handle.startsWith(query) && m.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(query)));
  out.push(...byHandle, ...byName);
  return out.slice(0, 8);
}

/** The list under the composer while an `@word` is typed; the composer moves `active` with the arrow keys. */
export function MentionPicker({ choices, active, onPick, setActive, label }: { choices: readonly MentionChoice[]; active: number; onPick: (c: MentionChoice) => void; setActive: (i: number) => void; label?: string }) {
  const { t } = useI18n();
  return (
    <ul className="mention-picker" role="listbox" id="mention-picker" aria-label={label ?? t('mentionPick')} data-testid={label ? 'command-menu' : 'mention-picker'}>
      {choices.map((c, i) => (
        <li key={c.handle} id={`mention-${c.handle}`} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}
          onMouseDown={(e) => { e.preventDefault(); onPick(c); }} onMouseEnter={() => setActive(i)}>
          {c.command ? <><strong>/{c.handle}</strong> <span className="muted">{c.name}</span></> : <><strong>{c.name}</strong> <span className="muted">@{c.handle}</span></>}
        </li>
      ))}
    </ul>
  );
}

/** The picker's state: which choice is active (reset when the query changes). */
export function useMentionActive(key: string): [number, (i: number) => void] {
  const [state, setState] = useState({ key, active: 0 });
  return [state.key === key ? state.active : 0, (active) => setState({ key, active })];
}
