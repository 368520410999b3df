import { useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { parseMarkdown, toMarkdown, type ChatView, type FormattedText, type TimelineItem } from '@parley/client';
import type { BotCommand, FetchedLinkPreview, LinkPreview } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { FormatBar, useFormatting } from './format-bar.tsx';
import { Icon } from './icons.tsx';
import { LinkPreviewCard, useDraftPreview } from './link-preview.tsx';
import { textOrFiles } from '../files/summary.ts';
import { AttachTrayView, type AttachTray } from '../files/attach-tray.tsx';
import type { FileToSend } from '../files/sdk.ts';
import { MentionPicker, mentionChoices, mentionQuery, useMentionActive, type MentionChoice } from './mention-picker.tsx';

/** R51: where a chat's unsent text is kept (the SDK: this device's store, and the person's other devices). */
export interface DraftKeeper {
  get(chatId: string): string;
  set(chatId: string, text: string): void;
}
const MAX_HEIGHT_PX = 160;

export type ComposerMode = { kind: 'new' } | { kind: 'reply'; item: TimelineItem } | { kind: 'edit'; item: TimelineItem };

export function Composer({ chat, me, commands, mode, setMode, inputRef, onSend, onSendFiles, tray, voice, onTyping, onEditLast, fetchPreview, drafts, onPoll, placeholder }: {
  chat: ChatView;
  /** This user's id (R88: `@` offers the others, and `@all` to admins). */
  me: string;
  /** R108: a bot's command menu, offered when the text starts with `/` (absent: no bot here). */
  commands?: readonly BotCommand[] | undefined;
  /** R121: a bot's reply keyboard's placeholder for the message box. */
  placeholder?: string | undefined;
  /** R87: opens the new-poll form (absent: no polls here). */
  onPoll?: () => void;
  /** The files chosen for the next message (picker, drop, paste). */
  tray: AttachTray;
  /** Sends the tray's files with the text as their caption (which may be empty). */
  onSendFiles: (files: FileToSend[], caption: FormattedText, mode: ComposerMode) => void;
  /** The voice recorder's button, shown instead of Send while there is nothing to send. */
  voice?: ReactNode;
  drafts: DraftKeeper;
  mode: ComposerMode;
  setMode: (mode: ComposerMode) => void;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  /** What the person wrote: the Markdown-like text as text and entities (R47); `preview`: the first link's preview (R45), unless the person removed it. */
  onSend: (message: FormattedText, mode: ComposerMode, preview?: LinkPreview) => void;
  /** The server's link preview fetcher; absent: no previews. */
  fetchPreview?: (url: string) => Promise<FetchedLinkPreview>;
  onTyping: () => void;
  onEditLast: () => void;
}) {
  const { t } = useI18n();
  const [draft, setDraftState] = useState(() => drafts.get(chat.chatId));
  // A draft typed on another of the person's devices (or loaded late) shows here, unless this box is being typed in.
  const kept = drafts.get(chat.chatId);
  useEffect(() => {
    if (mode.kind !== 'edit' && kept !== draft && (draft === '' || document.activeElement !== inputRef.current)) setDraftState(kept);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kept]);
  const stashed = useRef('');
  const draftPreview = useDraftPreview(mode.kind === 'edit' ? '' : draft, fetchPreview);
  const setDraft = (text: string) => {
    setDraftState(text);
    if (mode.kind !== 'edit') drafts.set(chat.chatId, text);
  };

  // Starting an edit puts the message's text in the box (before the frame that says "Editing" is
  // painted, so the box never shows empty under it); cancelling gives the draft back.
  useLayoutEffect(() => {
    if (mode.kind === 'edit') {
      stashed.current = drafts.get(chat.chatId);
      setDraftState(toMarkdown(mode.item.text, mode.item.entities));
    }
  }, [mode, chat.chatId]);

  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [draft, inputRef]);

  const cancel = () => {
    if (mode.kind === 'edit') setDraftState(stashed.current);
    setMode({ kind: 'new' });
  };

  const formatting = useFormatting(inputRef, setDraft);

  // R88: `@` followed by a few letters offers the group's members (and @all to its admins).
  const [caret, setCaret] = useState(0);
  const [dismissedAt, setDismissedAt] = useState(-1);
  // R108: `/` at the start offers the bot's commands (a pick sends it, as Telegram's menu does).
  const cq = commands && commands.length > 0 && mode.kind === 'new' ? /^\/([a-z0-9_]{0,32})$/i.exec(draft.slice(0, caret)) : null;
  const mq = cq ? { start: 0, query: (cq[1] ?? '').toLowerCase() } : chat.kind === 'group' ? mentionQuery(draft, caret) : undefined;
  const choices = !mq || mq.start === dismissedAt ? []
    : cq ? (commands ?? []).filter((c) => c.command.startsWith(mq.query)).map((c) => ({ handle: c.command, name: c.description, command: true }))
    : mentionChoices(chat.members, me, mq.query, t('mentionAll'));
  const [active, setActive] = useMentionActive(`${mq?.start ?? -1}:${mq?.query ?? ''}`);
  const pick = (c: MentionChoice) => {
    if (!mq) return;
    if (c.command) {
      onSend(parseMarkdown(`/${c.handle}`), { kind: 'new' });
      setDraft('');
      setCaret(0);
      return;
    }
    const next = `${draft.slice(0, mq.start)}@${c.handle} ${draft.slice(caret)}`;
    const at = mq.start + c.handle.length + 2;
    setDraft(next);
    setCaret(at);
    requestAnimationFrame(() => inputRef.current?.setSelectionRange(at, at));
  };
  const mentionKey = (e: React.KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (choices.length === 0) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      setActive((active + (e.key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      const c = choices[active];
      if (c) pick(c);
    } else if (e.key === 'Escape') {
      setDismissedAt(mq?.start ?? -1);
    } else return false;
    e.preventDefault();
    return true;
  };

  const withFiles = mode.kind !== 'edit' && tray.entries.length > 0;
  const canSend = withFiles ? tray.ready : !!draft.trim();
  const picker = useRef<HTMLInputElement>(null);

  const submit = () => {
    if (withFiles) {
      if (!tray.ready) return;
      onSendFiles(tray.prepared(), parseMarkdown(draft), mode);
      tray.clear();
      draftPreview.reset();
      setDraftState('');
      drafts.set(chat.chatId, '');
      setMode({ kind: 'new' });
      inputRef.current?.focus();
      return;
    }
    if (!draft.trim()) return;
    const message = parseMarkdown(draft);
    if (!message.text) return;
    onSend(message, mode, mode.kind === 'edit' ? undefined : draftPreview.preview);
    draftPreview.reset();
    setDraftState(mode.kind === 'edit' ? stashed.current : ''); // a sent message clears the kept draft (the SDK's sendText)
    setMode({ kind: 'new' });
    inputRef.current?.focus();
  };

  const target = mode.kind === 'new' ? undefined : mode.item;
  const targetName = target ? chat.members.find((m) => m.userId === target.senderUserId)?.displayName ?? '' : '';
  return (
    <>
      {target && (
        <div className="composer-context">
          <span className="grow ellipsis">
            <strong>{mode.kind === 'edit' ? t('editing') : t('replyingTo', { name: targetName })}</strong>
            {' '}<span className="muted">{textOrFiles(t, target).slice(0, 120)}</span>
          </span>
          <button type="button" className="icon small" aria-label={t('cancel')} title={t('cancel')} onClick={cancel}><Icon name="close" size={16} /></button>
        </div>
      )}
      {draftPreview.preview && <LinkPreviewCard preview={draftPreview.preview} onDismiss={draftPreview.dismiss} />}
      {formatting.visible && <FormatBar formatting={formatting} />}
      {mode.kind !== 'edit' && <AttachTrayView tray={tray} />}
      {choices.length > 0 && <MentionPicker choices={choices} active={active} onPick={pick} setActive={setActive} {...(cq ? { label: t('botCommandMenu') } : {})} />}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        {mode.kind !== 'edit' && (
          <>
            <button type="button" className="icon" aria-label={t('attach')} title={t('attach')} data-testid="attach" onClick={() => picker.current?.click()}>
              <Icon name="attach" />
            </button>
            <input ref={picker} type="file" multiple hidden data-testid="file-input" tabIndex={-1}
              onChange={(e) => { if (e.target.files) tray.add(e.target.files); e.target.value = ''; }} />
            {onPoll && (
              <button type="button" className="icon" aria-label={t('pollNew')} title={t('pollNew')} data-testid="poll-new" onClick={onPoll}>
                <Icon name="poll" />
              </button>
            )}
          </>
        )}
        <button type="button" className={`icon format-toggle${formatting.open ? ' on' : ''}`} aria-pressed={formatting.open}
          aria-label={t('formatting')} title={`${t('formatting')} — ${t('fmtHelp')}`} data-testid="format-toggle"
          onClick={() => formatting.setOpen(!formatting.open)}>
          <span aria-hidden="true">Aa</span>
        </button>
        <textarea
          ref={inputRef}
          rows={1}
          value={draft}
          placeholder={withFiles ? t('addCaption') : placeholder ?? t('typeMessage')}
          aria-label={t('typeMessage')}
          maxLength={16_000}
          onChange={(e) => { setDraft(e.target.value); setCaret(e.target.selectionStart); if (e.target.value) onTyping(); }}
          onSelect={(e) => { setCaret(e.currentTarget.selectionStart); formatting.onSelect(); }}
          aria-controls={choices.length > 0 ? 'mention-picker' : undefined}
          aria-activedescendant={choices.length > 0 && choices[active] ? `mention-${choices[active].handle}` : undefined}
          onBlur={formatting.onBlur}
          onPaste={(e) => {
            const files = [...e.clipboardData.files];
            if (files.length > 0 && mode.kind !== 'edit') { e.preventDefault(); tray.add(files); }
          }}
          onKeyDown={(e) => {
            if (e.nativeEvent.isComposing) return; // an IME is still composing a character
            if (mentionKey(e)) return;
            if (formatting.onKeyDown(e)) return;
            if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); }
            else if (e.key === 'Escape' && mode.kind !== 'new') { e.preventDefault(); cancel(); }
            else if (e.key === 'ArrowUp' && !draft && mode.kind === 'new') { e.preventDefault(); onEditLast(); }
          }}
        />
        {voice && mode.kind === 'new' && !draft.trim() && tray.entries.length === 0 ? voice : (
          <button type="submit" className="send" aria-label={mode.kind === 'edit' ? t('save') : t('send')} title={mode.kind === 'edit' ? t('save') : t('send')} disabled={!canSend}>
            <Icon name={mode.kind === 'edit' ? 'check' : 'send'} />
          </button>
        )}
      </form>
    </>
  );
}
