import type { ParleyClient, TimelineItem } from '@parley/client';
import type { VoteContent } from '@parley/protocol';
import type { TelegramObjects } from './telegram-objects.ts';

type Obj = Record<string, unknown>;

/**
 * Telegram's Poll object of the bot's poll as its device folds it now (R87): counts, closed, and for
 * a quiz (R151) `correct_option_ids` (and the older `correct_option_id`) and `explanation`, which
 * Telegram gives the poll's own bot.
 */
export function pollObject(objects: TelegramObjects, chatId: string, item: TimelineItem): Obj | undefined {
  const poll = item.poll;
  if (!poll) return undefined;
  const closed = poll.closedAt !== undefined || (poll.closesAt !== undefined && poll.closesAt <= Date.now());
  return {
    id: String(objects.messageId(chatId, item.id)), question: poll.question,
    options: poll.options.map((o) => ({ text: o.text, voter_count: o.votes })), total_voter_count: poll.voters,
    is_closed: closed, is_anonymous: poll.anonymous, type: poll.quiz ? 'quiz' : 'regular', allows_multiple_answers: poll.multiple, allows_revoting: !poll.quiz, members_only: false,
    ...(poll.quiz ? { correct_option_ids: [poll.quiz.correct], correct_option_id: poll.quiz.correct, ...(poll.quiz.explanation ? { explanation: poll.quiz.explanation } : {}), ...(poll.quiz.explanationEntities?.length ? { explanation_entities: poll.quiz.explanationEntities.map((e) => ({ ...e })) } : {}) } : {}),
    ...(poll.closesAt !== undefined ? { close_date: Math.floor(poll.closesAt / 1000) } : {}),
  };
}

/**
 * R128: Telegram's `poll_answer` update: a person's vote in a poll the bot sent that is not anonymous
 * (in an anonymous one the bot sees the counts only, as Telegram's bots do). `option_ids` are the
 * person's choices now (empty: the vote was taken back). The poll's id is the one sendPoll answered.
 * R151: `poll`, the poll's new state, for every vote that counted in a poll the bot sent (anonymous
 * too), as Telegram sends a bot the state of its own polls.
 */
export async function pollUpdates(client: ParleyClient, objects: TelegramObjects, chatId: string, senderUserId: string, vote: VoteContent): Promise<Obj[]> {
  const poll = client.timeline(chatId).find((i) => i.id === vote.target);
  if (!poll?.poll || poll.deleted || poll.senderUserId !== objects.botUserId) return [];
  const out: Obj[] = [];
  const state = pollObject(objects, chatId, poll);
  if (state) out.push({ poll: state });
  if (!poll.poll.anonymous && countedNow(poll, senderUserId, vote)) out.push({ poll_answer: { poll_id: String(objects.messageId(chatId, vote.target)), user: await objects.user(senderUserId), option_ids: [...vote.choices] } });
  return out;
}

/** A quiz keeps a person's first answer only (R151): a later, different vote is no answer. */
function countedNow(item: TimelineItem, voter: string, vote: VoteContent): boolean {
  if (!item.poll?.quiz) return true;
  const choice = vote.choices[0];
  return vote.choices.length === 1 && choice !== undefined && item.poll.options[choice]?.voters?.includes(voter) === true;
}
