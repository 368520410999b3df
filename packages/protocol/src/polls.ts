import { z } from 'zod';
import { ClientMsgId } from './common.ts';
import { entitiesProblem, MessageEntities } from './entities.ts';

/** R87 limits: options in a poll, and how far ahead a poll may close. */
export const MAX_POLL_OPTIONS = 12;
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_QUESTION = 300;
export const MAX_POLL_OPTION_TEXT = 100;
/** A poll closes at most this long after it is sent (a year), and at the earliest a minute after. */
export const MAX_POLL_OPEN_MS = 366 * 24 * 3600 * 1000;
export const MIN_POLL_OPEN_MS = 60_000;
/** R151: the longest explanation of a quiz's answer (Telegram's bound). */
export const MAX_QUIZ_EXPLANATION = 200;

/**
 * R151: a quiz: the option that is right (by index) and, optionally, why. It is inside the encrypted
 * poll, so every member's device holds it from the start; apps show it only once their user voted.
 */
export const Quiz = z.object({
  correct: z.number().int().min(0).max(MAX_POLL_OPTIONS - 1),
  explanation: z.string().trim().min(1).max(MAX_QUIZ_EXPLANATION).optional(),
  /** R151: the explanation's formatting (R47's entities, checked against it). */
  explanationEntities: MessageEntities.optional(),
}).superRefine((q, ctx) => {
  if (!q.explanationEntities) return;
  const problem = q.explanation === undefined ? 'entities without an explanation' : entitiesProblem(q.explanation, q.explanationEntities);
  if (problem) ctx.addIssue({ code: 'custom', path: ['explanationEntities'], message: problem });
});
export type Quiz = z.infer<typeof Quiz>;

/**
 * R87: a poll, end-to-end encrypted like any message. `multiple`: a voter may choose several
 * options; `anonymous`: clients show counts, never who chose what; `closesAt`: after this time
 * (by the log's server time) votes no longer count. Options are named by their index.
 */
/** R87: a poll's question and options (R185's wrapped polls take the same). */
export const PollQuestion = z.string().trim().min(1).max(MAX_POLL_QUESTION);
export const PollOptions = z.array(z.string().trim().min(1).max(MAX_POLL_OPTION_TEXT)).min(MIN_POLL_OPTIONS).max(MAX_POLL_OPTIONS)
  .refine((o) => new Set(o.map((t) => t.toLowerCase())).size === o.length, 'options must differ');

export const PollContent = z.object({
  kind: z.literal('poll'),
  question: PollQuestion,
  options: PollOptions,
  multiple: z.boolean(),
  anonymous: z.boolean(),
  closesAt: z.number().int().positive().optional(),
  /** R151: a quiz (one answer per person, never changed); absent: an ordinary poll. */
  quiz: Quiz.optional(),
}).refine((p) => !p.quiz || (!p.multiple && p.quiz.correct < p.options.length), { path: ['quiz'], message: 'a quiz takes one answer, and its right option is one of its options' });
export type PollContent = z.infer<typeof PollContent>;

/**
 * R87: a person's vote in poll `target`: the indices they chose (none: they take their vote back).
 * A person's latest vote replaces their earlier one; in a single-choice poll at most one index.
 */
export const VoteContent = z.object({
  kind: z.literal('vote'),
  target: ClientMsgId,
  choices: z.array(z.number().int().min(0).max(MAX_POLL_OPTIONS - 1)).max(MAX_POLL_OPTIONS)
    .refine((c) => new Set(c).size === c.length, 'each option once'),
});
export type VoteContent = z.infer<typeof VoteContent>;

/** R87: the poll's sender closes it early; later votes do not count. */
export const PollCloseContent = z.object({ kind: z.literal('poll_close'), target: ClientMsgId });
export type PollCloseContent = z.infer<typeof PollCloseContent>;
