import type { PollCloseContent, PollContent, Quiz, VoteContent } from '@parley/protocol';

/**
 * R87: a poll as its line in the chat shows it, folded on this device from the encrypted poll,
 * votes and close in the chat's log (the server sees none of them).
 */
export interface PollView {
  question: string;
  options: {
    text: string;
    /** People whose latest counted vote chose it. */
    votes: number;
    /** Who they are; absent in an anonymous poll (only counts are shown). */
    voters?: string[];
  }[];
  multiple: boolean;
  anonymous: boolean;
  /** When it closes by itself (server time of the log), if it does. */
  closesAt?: number;
  /** Its sender closed it early at this time (the close's time in the log). */
  closedAt?: number;
  /** People with a counted vote (a person choosing three options counts once). */
  voters: number;
  /** This user's counted choices (empty: none). */
  myChoices: number[];
  /** R151: a quiz: its right option and why (every device holds it; apps show it once their user voted). */
  quiz?: Quiz;
}

/** The parts of a timeline row the fold needs. */
interface PollRow { senderUserId: string; deleted: boolean; poll?: PollView }

/** Whether votes sent at `at` still count. */
export function pollOpenAt(poll: Pick<PollView, 'closesAt' | 'closedAt'>, at: number): boolean {
  return (poll.closesAt === undefined || at < poll.closesAt) && (poll.closedAt === undefined || at < poll.closedAt);
}

/**
 * Folds the polls of one chat, entry by entry in log order. A vote counts when its poll is there,
 * not deleted and still open at the vote's time, and its choices fit the poll (indices in range, at
 * most one in a single-choice poll); a person's latest counted vote replaces their earlier one.
 * Only the poll's sender closes it. R151: in a quiz a person's first counted answer is final (a later
 * vote, or taking it back, does not count), as in Telegram.
 */
export class PollFold {
  readonly #votes = new Map<string, Map<string, number[]>>();

  constructor(private readonly myUserId: string) {}

  /** The view of a new poll line. */
  start(content: PollContent): PollView {
    return {
      question: content.question, options: content.options.map((text) => ({ text, votes: 0 })), multiple: content.multiple,
      anonymous: content.anonymous, ...(content.closesAt !== undefined ? { closesAt: content.closesAt } : {}), voters: 0, myChoices: [],
      ...(content.quiz ? { quiz: content.quiz } : {}),
    };
  }

  vote(target: PollRow | undefined, targetId: string, voter: string, content: VoteContent, at: number): void {
    const poll = target?.poll;
    if (!poll || target.deleted || !pollOpenAt(poll, at)) return;
    if (content.choices.some((c) => c >= poll.options.length) || (!poll.multiple && content.choices.length > 1)) return;
    let byVoter = this.#votes.get(targetId);
    if (!byVoter) this.#votes.set(targetId, (byVoter = new Map()));
    if (poll.quiz && (byVoter.has(voter) || content.choices.length === 0)) return; // R151: one answer, kept
    byVoter.set(voter, [...content.choices].sort((a, b) => a - b));
  }

  close(target: PollRow | undefined, closer: string, _content: PollCloseContent, at: number): void {
    const poll = target?.poll;
    if (!poll || target.deleted || target.senderUserId !== closer || poll.closedAt !== undefined) return;
    poll.closedAt = at;
  }

  /** Writes the tallies into the views, once the whole log is folded. */
  finish(rows: ReadonlyMap<string, PollRow>): void {
    for (const [id, byVoter] of this.#votes) {
      const poll = rows.get(id)?.poll;
      if (!poll) continue;
      const voters = poll.options.map(() => [] as string[]);
      let counted = 0;
      for (const [voter, choices] of byVoter) {
        if (choices.length > 0) counted += 1;
        for (const c of choices) voters[c]?.push(voter);
        if (voter === this.myUserId) poll.myChoices = choices;
      }
      poll.voters = counted;
      poll.options = poll.options.map((o, i) => ({ text: o.text, votes: voters[i]?.length ?? 0, ...(poll.anonymous ? {} : { voters: voters[i] ?? [] }) }));
    }
  }
}
