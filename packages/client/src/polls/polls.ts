import { MAX_POLL_OPEN_MS, MIN_POLL_OPEN_MS, ParleyError, PollContent, VoteContent, type Content, type Quiz } from '@parley/protocol';
import type { TimelineItem } from '../timeline.ts';
import { pollOpenAt } from './poll-fold.ts';

export interface PollsDeps {
  userId: string;
  post(chatId: string, content: Content, opts?: { vote?: true }): Promise<string>;
  timeline(chatId: string): readonly TimelineItem[];
  now?: () => number;
}

/** What a person fills in to make a poll. */
export interface NewPoll {
  question: string;
  options: string[];
  /** Several options per voter (default: one). */
  multiple?: boolean;
  /** Show counts only, never who chose what (default: names shown). */
  anonymous?: boolean;
  /** When it closes by itself (ms since the epoch): at least a minute and at most a year ahead. */
  closesAt?: number;
  /** R151: a quiz: the right option's index and, optionally, why (single choice only). */
  quiz?: Quiz;
}

/**
 * R87: polls, end-to-end encrypted like messages: a poll, each person's vote and an early close
 * are entries of the chat's log; every device folds the tally from them (TimelineItem.poll). Each
 * call checks what it sends here (`bad_request`, `forbidden`, `not_found`): nothing malformed is queued.
 */
export class Polls {
  readonly #d: PollsDeps;

  constructor(deps: PollsDeps) {
    this.#d = deps;
  }

  /** Sends a poll; resolves with its client id (the id votes name). */
  async create(chatId: string, poll: NewPoll): Promise<string> {
    const now = this.#now();
    if (poll.closesAt !== undefined && (poll.closesAt < now + MIN_POLL_OPEN_MS || poll.closesAt > now + MAX_POLL_OPEN_MS)) {
      throw new ParleyError('bad_request', 'a poll closes at least a minute and at most a year from now');
    }
    const parsed = PollContent.safeParse({
      kind: 'poll', question: poll.question, options: poll.options, multiple: poll.multiple ?? false, anonymous: poll.anonymous ?? false,
      ...(poll.closesAt !== undefined ? { closesAt: poll.closesAt } : {}), ...(poll.quiz ? { quiz: poll.quiz } : {}),
    });
    if (!parsed.success) throw new ParleyError('bad_request', `not a poll: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return this.#d.post(chatId, parsed.data);
  }

  /** Votes (the options' indices; `[]` takes the vote back). Replaces this person's earlier vote. */
  async vote(chatId: string, pollId: string, choices: readonly number[]): Promise<void> {
    const poll = this.#poll(chatId, pollId);
    if (!pollOpenAt(poll, this.#now())) throw new ParleyError('bad_request', 'the poll is closed');
    if (poll.quiz && (poll.myChoices.length > 0 || choices.length === 0)) throw new ParleyError('bad_request', 'a quiz takes one answer, once: it is final');
    const parsed = VoteContent.safeParse({ kind: 'vote', target: pollId, choices: [...choices] });
    if (!parsed.success || choices.some((c) => c >= poll.options.length) || (!poll.multiple && choices.length > 1)) {
      throw new ParleyError('bad_request', poll.multiple ? 'choose options of this poll, each once' : 'choose one option of this poll');
    }
    await this.#d.post(chatId, parsed.data, { vote: true }); // R87: also where only admins post
  }

  /** Closes a poll this person sent; votes sent after it do not count. */
  async close(chatId: string, pollId: string): Promise<void> {
    const item = this.#item(chatId, pollId);
    if (item.senderUserId !== this.#d.userId) throw new ParleyError('forbidden', 'only who sent a poll closes it');
    await this.#d.post(chatId, { kind: 'poll_close', target: pollId });
  }

  #item(chatId: string, pollId: string): TimelineItem & { poll: NonNullable<TimelineItem['poll']> } {
    const item = this.#d.timeline(chatId).find((i) => i.id === pollId);
    if (!item?.poll) throw new ParleyError('not_found', 'no such poll in this chat');
    return item as TimelineItem & { poll: NonNullable<TimelineItem['poll']> };
  }

  #poll(chatId: string, pollId: string): NonNullable<TimelineItem['poll']> {
    return this.#item(chatId, pollId).poll;
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }
}
