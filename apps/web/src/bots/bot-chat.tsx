import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ChatKeyboard, ParleyClient, PendingForceReply, TimelineItem } from '@parley/client';
import type { BotCommand, CallbackAnswerContent, InlineButton, Member } from '@parley/protocol';
import { ConfirmLink } from '../components/formatted-text.tsx';
import { botNoticeKey, useBotText } from './text.ts';
import './bots.css';

/**
 * The parts of a chat with a bot (R91, R93, R108), a chunk of their own: the chat screen loads it only
 * where a bot is a member or a message carries buttons (issue 15's size budget).
 */

/** R91: says the chat includes a bot and where it runs; reads its command menu (R108) for the composer. */
export function BotNotice({ client, chatId, bot, onCommands }: { client: ParleyClient; chatId: string; bot: Member; onCommands: (commands: BotCommand[]) => void }) {
  const t = useBotText();
  useEffect(() => {
    let live = true;
    client.bots.commands(bot.userId).then((cs) => { if (live) onCommands(cs); }, (err: unknown) => console.warn('parley: bot commands', err));
    return () => { live = false; };
  }, [client, bot.userId, onCommands]);
  // R129: where it runs is the server's word (botRunsOn): its own gateway for a hosted bot, else the owner's.
  return (
    <>
      <div className="notice bot-notice" role="note" data-testid="bot-notice">{t(botNoticeKey(bot), { name: bot.displayName })}</div>
      <BotAnswer client={client} chatId={chatId} />
    </>
  );
}

/** R91: a small "bot" mark beside a bot's name. */
export function BotBadge() {
  const t = useBotText();
  return <span className="bot-badge" data-testid="bot-badge">{t('botBadge')}</span>;
}

/**
 * R93: a bot message's inline keyboard. A callback button sends the press and shows the bot's answer
 * (a short notice, or a dialog for `showAlert`); a url button asks first, showing where it goes.
 */
export function InlineKeyboard({ client, item }: { client: ParleyClient; item: TimelineItem }) {
  const [link, setLink] = useState<string | undefined>();
  const press = (b: InlineButton) => {
    if (b.url) { setLink(b.url); return; }
    if (!b.callbackData) return;
    presses.start(item.chatId);
    client.bots.press(item.chatId, item.id, b.callbackData).then((queryId) => presses.sent(item.chatId, queryId), (err: unknown) => {
      console.warn('parley: press', err);
      presses.failed(item.chatId);
    });
  };
  const rows = item.replyMarkup?.inlineKeyboard ?? [];
  return (
    <div className="inline-keyboard" data-testid="inline-keyboard">
      {rows.map((row, r) => (
        <div className="inline-keyboard-row" key={r}>
          {row.map((b, i) => (
            <button key={i} type="button" className={`inline-button${b.url ? ' url' : ''}`} disabled={item.seq === null} onClick={() => press(b)}>
              {b.text}{b.url && <span aria-hidden="true"> ↗</span>}
            </button>
          ))}
        </div>
      ))}
      {link && <ConfirmLink href={link} onClose={() => setLink(undefined)} />}
    </div>
  );
}

type PressState = { state: 'sending' } | { state: 'waiting'; queryId: string } | { state: 'failed' } | { state: 'answered'; answer: CallbackAnswerContent };

/**
 * The last press per chat, outside any message: the bot's edit may take its keyboard away before its
 * answer comes, and the answer still shows (BotAnswer, under the bot notice).
 */
const presses = new (class {
  readonly #byChat = new Map<string, PressState>();
  readonly #listeners = new Set<() => void>();
  get = (chatId: string): PressState | undefined => this.#byChat.get(chatId);
  subscribe = (fn: () => void) => { this.#listeners.add(fn); return () => { this.#listeners.delete(fn); }; };
  #set(chatId: string, s: PressState | undefined): void {
    if (s) this.#byChat.set(chatId, s); else this.#byChat.delete(chatId);
    for (const fn of this.#listeners) fn();
  }
  start(chatId: string): void { this.#set(chatId, { state: 'sending' }); }
  sent(chatId: string, queryId: string): void { if (this.get(chatId)?.state === 'sending') this.#set(chatId, { state: 'waiting', queryId }); }
  failed(chatId: string): void { this.#set(chatId, { state: 'failed' }); }
  answered(chatId: string, queryId: string, answer: CallbackAnswerContent): void {
    const now = this.get(chatId);
    if (now?.state === 'waiting' && now.queryId === queryId) this.#set(chatId, answer.text ? { state: 'answered', answer } : undefined);
  }
  clear(chatId: string): void { this.#set(chatId, undefined); }
})();

/** R93: the bot's answer to this person's last press here: a short notice, or a dialog for `showAlert`. */
function BotAnswer({ client, chatId }: { client: ParleyClient; chatId: string }) {
  const t = useBotText();
  const press = useSyncExternalStore(presses.subscribe, () => presses.get(chatId));
  // The answer arrives as a message of the chat; every change of the client's state renders this again.
  useEffect(() => {
    if (press?.state !== 'waiting') return;
    client.bots.answerTo(chatId, press.queryId).then((a) => { if (a) presses.answered(chatId, press.queryId, a); }, () => {});
  });
  const shown = press?.state === 'answered' && !press.answer.showAlert;
  useEffect(() => {
    if (!shown) return;
    const timer = setTimeout(() => presses.clear(chatId), 6000);
    return () => clearTimeout(timer);
  }, [shown, chatId]);
  if (!press) return null;
  if (press.state === 'sending' || press.state === 'waiting') return <span className="bot-answer-toast" role="status">{t('botWaiting')}</span>;
  if (press.state === 'failed') return <span className="bot-answer-toast" role="alert">{t('botPressFailed')}</span>;
  if (press.answer.showAlert) return <AnswerAlert text={press.answer.text ?? ''} onClose={() => presses.clear(chatId)} />;
  return <div className="bot-answer-toast" role="status" data-testid="bot-answer">{press.answer.text}</div>;
}

function AnswerAlert({ text, onClose }: { text: string; onClose: () => void }) {
  const t = useBotText();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} className="fmt-confirm" role="alertdialog" aria-describedby="bot-alert-text" onClose={onClose} data-testid="bot-answer-alert">
      <p id="bot-alert-text">{text}</p>
      <div className="fmt-confirm-actions"><button type="button" autoFocus onClick={() => ref.current?.close()}>{t('botAnswerOk')}</button></div>
    </dialog>
  );
}

/**
 * R121: the bot's reply keyboard above the message box. A tap sends the button's text as the person's
 * own message (as Telegram does); a one-time keyboard hides after it; the toggle hides or shows it.
 */
export function ReplyKeyboardBar({ client, chatId, items, onPlaceholder, onReply }: { client: ParleyClient; chatId: string; items: readonly TimelineItem[]; onPlaceholder: (p: string | undefined) => void; onReply: (item: TimelineItem) => void }) {
  const t = useBotText();
  const [kb, setKb] = useState<ChatKeyboard | undefined>();
  // R144: a bot's force_reply opens a reply to its text once (the person may cancel it), with its placeholder.
  const [force, setForce] = useState<PendingForceReply | undefined>();
  const opened = useRef(new Set<string>());
  const reply = useRef(onReply);
  reply.current = onReply;
  useEffect(() => {
    let live = true;
    client.bots.forceReply(chatId).then((f) => {
      if (!live) return;
      setForce(f);
      const item = f && !opened.current.has(f.messageId) ? items.find((i) => i.id === f.messageId) : undefined;
      if (item) { opened.current.add(item.id); reply.current(item); }
    }, (err: unknown) => console.warn('parley: force reply', err));
    return () => { live = false; };
  }, [client, chatId, items]);
  const [open, setOpen] = useState<{ id: string; open: boolean } | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    client.bots.keyboard(chatId).then((k) => { if (live) setKb(k); }, (err: unknown) => console.warn('parley: keyboard', err));
    return () => { live = false; };
  }, [client, chatId, items]);
  const shown = kb !== undefined && (open?.id === kb.messageId ? open.open : !kb.used);
  const placeholder = force?.placeholder ?? (shown ? kb?.placeholder : undefined);
  useEffect(() => { onPlaceholder(placeholder); }, [placeholder, onPlaceholder]);
  useEffect(() => () => onPlaceholder(undefined), [onPlaceholder]);
  if (!kb) return null;
  const send = (text: string) => {
    setFailed(false);
    if (kb.oneTime) setOpen({ id: kb.messageId, open: false });
    client.sendText(chatId, text).catch((err: unknown) => { console.warn('parley: keyboard press', err); setFailed(true); });
  };
  return (
    <div className={`reply-keyboard${kb.resize ? ' resize' : ''}`} data-testid="reply-keyboard">
      <button type="button" className="reply-keyboard-toggle" aria-expanded={shown} aria-label={t(shown ? 'botKeyboardHide' : 'botKeyboardShow')}
        title={t(shown ? 'botKeyboardHide' : 'botKeyboardShow')} data-testid="reply-keyboard-toggle" onClick={() => setOpen({ id: kb.messageId, open: !shown })}>
        <span aria-hidden="true">⌨ {shown ? '▾' : '▴'}</span>
      </button>
      {shown && (
        <div className="reply-keyboard-rows" role="group" aria-label={kb.placeholder ?? t('botKeyboard')}>
          {kb.rows.map((row, r) => (
            <div className="reply-keyboard-row" key={r}>
              {row.map((b, i) => <button key={i} type="button" className="reply-button" onClick={() => send(b.text)}>{b.text}</button>)}
            </div>
          ))}
        </div>
      )}
      {failed && <span className="error" role="alert">{t('botKeyboardFailed')}</span>}
    </div>
  );
}
