import { useEffect, useRef, useState } from 'react';
import { pollOpenAt, type ParleyClient, type PollView, type TimelineItem } from '@parley/client';
import { MAX_POLL_OPTIONS, MAX_POLL_OPTION_TEXT, MAX_POLL_QUESTION, type Member } from '@parley/protocol';
import { useChunkI18n } from '../i18n/chunk-text.ts';
import { enPoll } from '../i18n/en-poll.ts';
import { ruPoll } from '../i18n/ru-poll.ts';
import { ErrorLine } from './error-line.tsx';
import { FormattedText } from './formatted-text.tsx';
import { Icon } from './icons.tsx';

const report = (what: string) => (err: unknown) => console.warn(`parley: ${what} failed`, err);

/** Whether the poll takes votes now; re-renders when its own close time passes (nothing else changes then). */
function useOpen(poll: PollView): boolean {
  const [, tick] = useState(0);
  const now = Date.now();
  useEffect(() => {
    if (poll.closedAt !== undefined || poll.closesAt === undefined || poll.closesAt <= now) return;
    const timer = setTimeout(() => tick((n) => n + 1), Math.min(poll.closesAt - now + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [poll.closesAt, poll.closedAt, now]);
  return poll.closedAt === undefined && pollOpenAt(poll, now);
}

/**
 * R87: a poll in a message. Before this person votes (and while it is open) its options are buttons
 * (single choice: a tap votes; multiple: tick, then Vote); after, or once closed, the results with
 * bars, this person's choices ticked and, unless anonymous, who chose what.
 */
export function PollCard({ client, item, poll, members, canAct }: { client: ParleyClient; item: TimelineItem; poll: PollView; members: readonly Member[]; canAct: boolean }) {
  const { t, fmt } = useChunkI18n(enPoll, ruPoll);
  const open = useOpen(poll);
  const [ticked, setTicked] = useState<number[]>([]);
  const [changing, setChanging] = useState(false);
  const voted = poll.myChoices.length > 0;
  const choosing = open && canAct && (!voted || changing);
  const nameOf = (id: string) => members.find((m) => m.userId === id)?.displayName ?? '…';
  const vote = (choices: number[]) => {
    setChanging(false);
    setTicked([]);
    client.polls.vote(item.chatId, item.id, choices).catch(report('vote'));
  };
  const quiz = poll.quiz; // R151: the right answer shows once this person answered, or the quiz closed
  const reveal = quiz !== undefined && (voted || !open);
  const kind = quiz
    ? [poll.anonymous ? t('pollQuizAnonymous') : t('pollQuiz'), open && !voted ? t('quizFinal') : ''].filter(Boolean).join(' · ')
    : [poll.anonymous ? t('pollAnonymous') : t('pollPublic'), poll.multiple ? t('pollMultiple') : ''].filter(Boolean).join(' · ');
  const answer = quiz ? poll.options[quiz.correct]?.text ?? '' : '';
  const status = !open ? t('pollClosed') : poll.closesAt !== undefined ? t('pollClosesAt', { time: fmt.dateTime(poll.closesAt) }) : '';
  const total = poll.voters;
  return (
    <div className="poll" data-testid="poll" role="group" aria-label={`${t('poll')}: ${poll.question}`}>
      <div className="poll-head">
        <Icon name="poll" size={16} />
        <strong className="poll-question">{poll.question}</strong>
      </div>
      <div className="muted small">{kind}{status ? ` · ${status}` : ''}</div>
      {choosing ? (
        <div className="poll-options" role={poll.multiple ? 'group' : 'radiogroup'} aria-label={poll.question}>
          {poll.options.map((o, i) => poll.multiple ? (
            <label key={i} className="poll-option choose">
              <input type="checkbox" checked={ticked.includes(i)} onChange={(e) => setTicked((p) => e.target.checked ? [...p, i] : p.filter((x) => x !== i))} />
              <span>{o.text}</span>
            </label>
          ) : (
            <button key={i} type="button" role="radio" aria-checked={poll.myChoices.includes(i)} className="poll-option choose" data-testid="poll-choose" onClick={() => vote([i])}>
              <span className="poll-dot" aria-hidden="true" />
              <span>{o.text}</span>
            </button>
          ))}
          {poll.multiple && <button type="button" className="small" disabled={ticked.length === 0} data-testid="poll-vote" onClick={() => vote(ticked)}>{t('pollVote')}</button>}
        </div>
      ) : (
        <ul className="poll-options results" aria-label={t('pollResults')}>
          {poll.options.map((o, i) => {
            const pct = total === 0 ? 0 : Math.round((o.votes / total) * 100);
            const mine = poll.myChoices.includes(i);
            const who = o.voters?.map(nameOf).join(', ');
            const right = reveal && quiz?.correct === i;
            const wrong = reveal && mine && !right;
            return (
              <li key={i} className={`poll-option${mine ? ' mine' : ''}${right ? ' correct' : ''}${wrong ? ' wrong' : ''}`} data-testid="poll-result" title={who || undefined}>
                <div className="poll-line">
                  <span className="poll-pct">{pct}%</span>
                  <span className="poll-text">{o.text}{right ? <span className="sr-only"> ({t('quizRightOption')})</span> : wrong ? <span className="sr-only"> ({t('quizYourWrong')})</span> : mine && <span className="sr-only"> ({t('pollYourChoice')})</span>}</span>
                  {(right || (mine && !wrong)) && <span className="poll-mark"><Icon name="check" size={14} /></span>}
                  {wrong && <span className="poll-mark"><Icon name="close" size={14} /></span>}
                  <span className="muted small poll-count">{o.votes}</span>
                </div>
                <div className="poll-bar" aria-hidden="true"><span style={{ width: `${pct}%` }} /></div>
                {who && <div className="muted small poll-voters">{who}</div>}
              </li>
            );
          })}
        </ul>
      )}
      {reveal && quiz && (
        <>
          <p className={`quiz-verdict small ${voted ? (poll.myChoices.includes(quiz.correct) ? 'right' : 'wrong') : ''}`} data-testid="quiz-verdict" role="status">
            {!voted ? t('quizAnswer', { answer }) : poll.myChoices.includes(quiz.correct) ? t('quizRight') : t('quizWrong', { answer })}
          </p>
          {quiz.explanation && <p className="quiz-explanation small" data-testid="quiz-explanation"><Icon name="info" size={14} /><span><FormattedText text={quiz.explanation} entities={quiz.explanationEntities} /></span></p>}
        </>
      )}
      <div className="poll-foot muted small">
        <span data-testid="poll-total">{t('pollVotes', { count: total })}</span>
        {open && canAct && voted && !changing && !quiz && <button type="button" className="link-button" onClick={() => setChanging(true)}>{t('pollChange')}</button>}
        {open && canAct && voted && !changing && !quiz && <button type="button" className="link-button" onClick={() => vote([])}>{t('pollRetract')}</button>}
        {open && canAct && item.mine && <button type="button" className="link-button" data-testid="poll-close" onClick={() => { if (confirm(t('pollCloseConfirm'))) client.polls.close(item.chatId, item.id).catch(report('close poll')); }}>{t('pollCloseAction')}</button>}
      </div>
    </div>
  );
}

const CLOSE_AFTER = { none: 0, hour: 3600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;

/**
 * The form that makes a poll: question, 2-12 options, one or several choices, anonymous, a close time.
 * R185: with `onCreate` (a wrapped channel's poll) it asks only question, options and several choices, and says `note`.
 */
export function PollDialog({ client, chatId, onClose, onCreate, note }: {
  client: ParleyClient; chatId?: string; onClose: () => void;
  onCreate?: (poll: { question: string; options: string[]; multiple: boolean }) => Promise<unknown>; note?: string;
}) {
  const { t } = useChunkI18n(enPoll, ruPoll);
  const ref = useRef<HTMLDialogElement>(null);
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [multiple, setMultiple] = useState(false);
  const [anonymous, setAnonymous] = useState(false);
  const [closeAfter, setCloseAfter] = useState<keyof typeof CLOSE_AFTER>('none');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const filled = options.map((o) => o.trim()).filter(Boolean);
  const ready = question.trim().length > 0 && filled.length >= 2;
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (onCreate) await onCreate({ question, options: filled, multiple });
      else await client.polls.create(chatId ?? '', {
        question, options: filled, multiple, anonymous, ...(closeAfter !== 'none' ? { closesAt: Date.now() + CLOSE_AFTER[closeAfter] } : {}),
      });
      ref.current?.close();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} className="poll-dialog" aria-labelledby="poll-title" onClose={onClose} data-testid="poll-dialog">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); if (ready && !busy) void submit(); }}>
        <h2 id="poll-title">{t('pollNew')}</h2>
        <label className="field">
          <span>{t('pollQuestion')}</span>
          <input value={question} maxLength={MAX_POLL_QUESTION} onChange={(e) => setQuestion(e.target.value)} data-testid="poll-question" autoFocus />
        </label>
        <fieldset className="poll-dialog-options">
          <legend>{t('pollOptions')}</legend>
          {options.map((o, i) => (
            <div key={i} className="row">
              <input value={o} maxLength={MAX_POLL_OPTION_TEXT} aria-label={t('pollOptionN', { n: String(i + 1) })} data-testid="poll-option"
                onChange={(e) => setOptions((p) => p.map((x, j) => (j === i ? e.target.value : x)))} />
              {options.length > 2 && (
                <button type="button" className="icon small" aria-label={t('pollRemoveOption', { n: String(i + 1) })} onClick={() => setOptions((p) => p.filter((_, j) => j !== i))}>
                  <Icon name="close" size={16} />
                </button>
              )}
            </div>
          ))}
          {options.length < MAX_POLL_OPTIONS && <button type="button" className="link-button" data-testid="poll-add-option" onClick={() => setOptions((p) => [...p, ''])}>{t('pollAddOption')}</button>}
        </fieldset>
        <label className="check"><input type="checkbox" checked={multiple} onChange={(e) => setMultiple(e.target.checked)} data-testid="poll-multiple" /> {t('pollMultipleLabel')}</label>
        {!onCreate && (
          <>
            <label className="check"><input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.target.checked)} data-testid="poll-anonymous" /> {t('pollAnonymousLabel')}</label>
            <label className="field">
              <span>{t('pollCloseAfter')}</span>
              <select value={closeAfter} onChange={(e) => setCloseAfter(e.target.value as keyof typeof CLOSE_AFTER)}>
                {(Object.keys(CLOSE_AFTER) as (keyof typeof CLOSE_AFTER)[]).map((k) => <option key={k} value={k}>{t(`pollClose_${k}`)}</option>)}
              </select>
            </label>
          </>
        )}
        <p className="muted small">{note ?? t('pollPrivacy')}</p>
        <ErrorLine error={error} />
        <div className="fmt-confirm-actions">
          <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
          <button type="submit" disabled={!ready || busy} data-testid="poll-send">{t('pollSend')}</button>
        </div>
      </form>
    </dialog>
  );
}
