import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Api, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, testGateway } from './bot-run.ts';

const is400 = (re: RegExp) => (e: unknown) => e instanceof GrammyError && e.error_code === 400 && re.test(e.description);

/** R151 through grammY's own Api client (as a grammY bot calls it), against a real server and gateway. */
describe('quiz polls through the bot gateway (R151)', () => {
  it('R151 sendPoll type=quiz: people see it, answer once (final), the bot gets poll_answer and poll updates with the counts; stopPoll closes it', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const ann = await createUser(server.url, { displayName: 'Ann' });
    const ben = await createUser(server.url, { displayName: 'Ben' });
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, ann, ben]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'quiz_master_bot', displayName: 'Quiz' });
    const botId = created.bot.userId;
    await owner.client.bots.setPrivacy(botId, false);
    await using gw = await testGateway(server.url, created.token);
    const api = new Api(created.token, { apiRoot: gw.url });
    const group = await ann.client.createGroup({ name: 'Trivia', memberIds: [ben.userId, botId] });
    await waitFor(async () => (await ann.client.encryptionMembers(group.chatId)).some((m) => m.userId === botId), { what: 'the bot in the group', timeoutMs: 40_000 });
    await ann.client.sendText(group.chatId, 'quiz us');
    let offset = 0;
    let got: Update[] = [];
    const take = async () => { const u = await api.getUpdates({ offset, timeout: 0 }); if (u.length) offset = u.at(-1)!.update_id + 1; got = [...got, ...u]; return u; };
    let chat = 0;
    await waitFor(async () => { chat = (await take()).find((u) => u.message?.text === 'quiz us')?.message?.chat.id ?? chat; return chat !== 0; }, { what: 'Ann\'s message' });

    const sent = await api.sendPoll(chat, 'Capital of Peru?', [{ text: 'Cusco' }, { text: 'Lima' }, { text: 'Arequipa' }], {
      type: 'quiz', correct_option_ids: [1], is_anonymous: false, explanation: '<b>Lima</b>, since 1535', explanation_parse_mode: 'HTML',
    });
    assert.deepEqual([sent.poll.type, sent.poll.correct_option_ids, sent.poll.explanation, sent.poll.total_voter_count, sent.poll.allows_revoting], ['quiz', [1], 'Lima, since 1535', 0, false]);
    assert.deepEqual(sent.poll.explanation_entities, [{ type: 'bold', offset: 0, length: 4 }], 'R151 the explanation keeps its formatting');
    await waitFor(() => fromBot(ann, group.chatId, botId).some((i) => i.poll) && fromBot(ben, group.chatId, botId).some((i) => i.poll), { what: 'the quiz at both' });
    const quizAt = (u: typeof ann) => fromBot(u, group.chatId, botId).find((i) => i.poll)!;
    assert.deepEqual(quizAt(ann).poll!.quiz, { correct: 1, explanation: 'Lima, since 1535', explanationEntities: [{ type: 'bold', offset: 0, length: 4 }] });

    // Ann answers wrong, Ben right; Ann cannot change hers (the SDK refuses; the fold would ignore it anyway).
    await ann.client.polls.vote(group.chatId, quizAt(ann).id, [0]);
    await ben.client.polls.vote(group.chatId, quizAt(ben).id, [1]);
    await waitFor(() => quizAt(ann).poll!.myChoices.length === 1, { what: 'Ann\'s answer counted' });
    await assert.rejects(ann.client.polls.vote(group.chatId, quizAt(ann).id, [1]), (e: unknown) => (e as { code?: string }).code === 'bad_request' && /final/.test((e as Error).message));
    await assert.rejects(ann.client.polls.vote(group.chatId, quizAt(ann).id, []), (e: unknown) => (e as { code?: string }).code === 'bad_request');
    await waitFor(() => quizAt(ann).poll!.voters === 2, { what: 'both answers at Ann' });
    assert.deepEqual(quizAt(ann).poll!.options.map((o) => o.votes), [1, 1, 0]);

    // The bot: a poll_answer per answer, and the poll's new state after each (Telegram's `poll` update).
    await waitFor(async () => { await take(); return got.filter((u) => u.poll_answer).length === 2 && got.some((u) => u.poll?.total_voter_count === 2); }, { what: 'the bot\'s poll updates' });
    const answers = got.filter((u) => u.poll_answer).map((u) => [u.poll_answer!.user?.first_name, u.poll_answer!.option_ids]);
    assert.deepEqual(answers.sort(), [['Ann', [0]], ['Ben', [1]]]);
    const state = got.filter((u) => u.poll).at(-1)!.poll!;
    assert.deepEqual([state.id, state.type, state.correct_option_ids, state.options.map((o) => o.voter_count), state.is_closed], [sent.poll.id, 'quiz', [1], [1, 1, 0], false]);

    // stopPoll: closed for everyone; a second stop is Telegram's 400.
    const stopped = await api.stopPoll(chat, sent.message_id);
    assert.deepEqual([stopped.is_closed, stopped.total_voter_count], [true, 2]);
    await waitFor(() => quizAt(ben).poll!.closedAt !== undefined, { what: 'closed at Ben' });
    await assert.rejects(api.stopPoll(chat, sent.message_id), is400(/already been closed/));

    // Refusals, with Telegram's words.
    const ask = (other: Record<string, unknown>) => api.sendPoll(chat, 'Q?', [{ text: 'a' }, { text: 'b' }], other as never);
    await assert.rejects(ask({ type: 'quiz' }), is400(/QUIZ_CORRECT_ANSWERS_EMPTY/));
    await assert.rejects(ask({ type: 'quiz', correct_option_ids: [2] }), is400(/QUIZ_CORRECT_ANSWER_INVALID/));
    await assert.rejects(ask({ type: 'quiz', correct_option_ids: [0, 1] }), is400(/one right option on Parley/));
    // The Bot API before 9 named one right option `correct_option_id`: still taken.
    const older = await ask({ type: 'quiz', correct_option_id: 0 });
    assert.deepEqual([older.poll.type, older.poll.correct_option_ids], ['quiz', [0]]);
    await assert.rejects(ask({ type: 'quiz', correct_option_ids: [0], allows_multiple_answers: true }), is400(/QUIZ_MULTIPLE_INVALID/));
    await assert.rejects(ask({ type: 'quiz', correct_option_ids: [0], explanation: 'x'.repeat(201) }), is400(/explanation is too long/));
    await assert.rejects(ask({ type: 'quiz', correct_option_ids: [0], explanation: '<b>x', explanation_parse_mode: 'HTML' }), is400(/can't parse explanation entities/));
    await assert.rejects(ask({ type: 'trivia' }), is400(/poll type/));
  });
});
