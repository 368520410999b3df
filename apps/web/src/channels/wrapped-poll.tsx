import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient, WrappedPollPost, WrappedPollResult } from '@parley/client';
import type { WrappedPoll } from '@parley/protocol';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';
import { useReadNowAndOnView } from './read-on-view.ts';

/**
 * R185/R198: the votes of the polls shown (the newest 100), read when they change and when the window
 * comes back into view. `read` and `cast` are the SDK's calls for the kind of channel; `seqOf` names a
 * poll's place; `update` sets one poll's result (a wrapped channel's live notice, below).
 */
export function usePollVotes<P>(polls: readonly P[], seqOf: (p: P) => number, read: (shown: readonly P[]) => Promise<WrappedPollResult[]>,
  cast: (post: P, options: number[]) => Promise<WrappedPollResult>, deps: readonly unknown[]) {
  const [results, setResults] = useState(new Map<number, WrappedPollResult>());
  const key = polls.map(seqOf).join(',');
  const load = useCallback(async () => {
    const shown = polls.slice(-100);
    if (shown.length === 0) return;
    try {
      const got = await read(shown);
      setResults(new Map(got.map((r) => [r.seq, r])));
    } catch (err) {
      console.warn('parley: reading the channel\'s poll votes failed', err);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, key]);
  useReadNowAndOnView(load);
  const update = (r: WrappedPollResult) => setResults((before) => new Map(before).set(r.seq, r));
  const vote = (post: P, options: number[]) => cast(post, options).then(update);
  return { results, vote, update };
}

/** R185: a wrapped channel's polls (votes as tokens under the epoch key). */
export function useWrappedPollVotes(client: ParleyClient, communityId: string, polls: readonly WrappedPollPost[]) {
  const got = usePollVotes(polls, (p) => p.seq, (shown) => client.wrappedChannels.pollVotes(communityId, shown),
    (post, options) => client.wrappedChannels.vote(communityId, post, options), [client, communityId]);
  const { update } = got;
  const key = polls.map((p) => p.seq).join(',');
  // That poll alone, when the server says its votes changed (`wrappedVotes`, at most one a poll per PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS).
  useEffect(() => client.on('wrappedVotes', (e) => {
    const post = e.communityId === communityId ? polls.slice(-100).find((p) => p.seq === e.seq) : undefined;
    if (!post) return;
    client.wrappedChannels.pollVotes(communityId, [post]).then(([r]) => { if (r) update(r); })
      .catch((err: unknown) => console.warn('parley: reading a wrapped poll\'s votes failed', err));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }), [client, communityId, key]);
  return got;
}

/**
 * R185/R198: a poll in a wrapped or public post: each option with its share of the voters and its count; a tap votes
 * (one answer: tapping another moves the vote, tapping yours takes it back; several: a tap adds or
 * removes that option). This person's choice is highlighted.
 */
export function WrappedPollCard({ poll, result, onVote }: { poll: WrappedPoll; result: WrappedPollResult | undefined; onVote: (options: number[]) => void }) {
  const { t } = useChannelI18n();
  const mine = result?.mine ?? [];
  const voters = result?.voters ?? 0;
  const choose = (i: number) => {
    if (poll.multiple) onVote(mine.includes(i) ? mine.filter((x) => x !== i) : [...mine, i].sort((a, b) => a - b));
    else onVote(mine.includes(i) ? [] : [i]);
  };
  return (
    <div className="poll wrapped-poll" data-testid="wrapped-poll" role="group" aria-label={`${t('poll')}: ${poll.question}`}>
      <div className="poll-head">
        <Icon name="poll" size={16} />
        <strong className="poll-question">{poll.question}</strong>
      </div>
      <div className="muted small">{poll.multiple ? `${t('poll')} · ${t('pollMultiple')}` : t('poll')}</div>
      <ul className="poll-options results" aria-label={t('pollResults')}>
        {poll.options.map((text, i) => {
          const n = result?.votes[i] ?? 0;
          const pct = voters === 0 ? 0 : Math.round((n / voters) * 100);
          const chosen = mine.includes(i);
          return (
            <li key={i} className={`poll-option${chosen ? ' mine' : ''}`}>
              <button type="button" className="wrapped-poll-choice" aria-pressed={chosen} aria-label={t('chPollVoteFor', { option: text })}
                data-testid="wrapped-poll-option" onClick={() => choose(i)}>
                <span className="poll-line">
                  <span className="poll-pct" data-testid="wrapped-poll-pct">{pct}%</span>
                  <span className="poll-text">{text}{chosen && <span className="sr-only"> ({t('pollYourChoice')})</span>}</span>
                  {chosen && <span className="poll-mark"><Icon name="check" size={14} /></span>}
                  <span className="muted small poll-count" data-testid="wrapped-poll-count">{n}</span>
                </span>
                <span className="poll-bar" aria-hidden="true"><span style={{ width: `${pct}%` }} /></span>
              </button>
            </li>
          );
        })}
      </ul>
      <div className="poll-foot muted small">
        <span data-testid="wrapped-poll-voters">{t('chPollVoters', { count: voters })}</span>
        {mine.length > 0 && !poll.multiple && <span>{t('chPollTapAgain')}</span>}
      </div>
    </div>
  );
}
