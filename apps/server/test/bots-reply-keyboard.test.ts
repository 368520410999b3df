import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';
import { leaks, serverBytes } from './server-bytes.ts';

describe('Telegram reply keyboards through the bot gateway (R121)', () => {
  it('R121 grammY\'s custom keyboard example runs unmodified: the person sees the keyboard, a press sends its text, one-time hides it, remove_keyboard clears it', async () => {
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const cats = await owner.client.bots.create({ handle: 'cats_bot', displayName: 'Cats' });
    await using gateway = await testGateway(server.url, cats.token);
    await using _bot = runBot('grammy-reply-keyboard.mjs', { token: cats.token, apiRoot: gateway.url });
    const { chatId } = await person.client.openDirect(cats.bot.userId);
    const keyboard = () => person.client.bots.keyboard(chatId);

    assert.equal(await keyboard(), undefined, 'no keyboard before the bot sends one');
    await person.client.sendText(chatId, '/start');
    await waitFor(async () => (await keyboard()) !== undefined, { what: 'the reply keyboard', timeoutMs: 40_000 });
    const question = fromBot(person, chatId, cats.bot.userId).find((i) => i.text === 'Are cats cool?');
    assert.ok(question, 'the keyboard came with the bot\'s text');
    assert.deepEqual(await keyboard(), {
      messageId: question.id, botUserId: cats.bot.userId,
      rows: [[{ text: 'Yes, they certainly are' }], [{ text: 'I\'m not quite sure' }], [{ text: 'No. 😈' }]],
      resize: true, oneTime: true, placeholder: 'Decide now!', used: false,
    });
    assert.equal(question.replyMarkup, undefined, 'a reply keyboard is not an inline keyboard');

    // A press is the button's text, sent as any text; the bot answers it (bot.hears) and keeps the keyboard.
    await person.client.sendText(chatId, 'I\'m not quite sure');
    await waitFor(() => fromBot(person, chatId, cats.bot.userId).some((i) => i.text === 'Take your time.'), { what: 'the answer to the press', timeoutMs: 20_000 });
    const after = await keyboard();
    assert.equal(after?.messageId, question.id, 'an answer without reply_markup leaves the keyboard');
    assert.equal(after?.used, true, 'a one-time keyboard is hidden once pressed');

    // /start again: a fresh keyboard, not used yet; then a press the bot answers with remove_keyboard.
    await person.client.sendText(chatId, '/start');
    await waitFor(async () => (await keyboard())?.messageId !== question.id, { what: 'the second keyboard', timeoutMs: 20_000 });
    assert.equal((await keyboard())?.used, false);
    await person.client.sendText(chatId, 'Yes, they certainly are');
    await waitFor(() => fromBot(person, chatId, cats.bot.userId).some((i) => i.text === 'Right you are!'), { what: 'the removing answer', timeoutMs: 20_000 });
    assert.equal(await keyboard(), undefined, 'remove_keyboard clears it');
    assert.equal(person.client.chat(chatId)?.encryption, 'on');

    // R121: only a bot's keyboard counts: one a person sends (through the SDK) is ignored by receivers, the sender's own device too.
    await person.client.bots.sendText(chatId, 'press me', { replyKeyboard: { rows: [[{ text: 'pressed' }]] } });
    await waitFor(() => person.client.timeline(chatId).some((i) => i.text === 'press me' && i.seq !== null), { what: 'the person\'s text, sent' });
    assert.equal(await keyboard(), undefined, 'a person\'s keyboard is not shown');
    await assert.rejects(person.client.bots.sendText(chatId, 'x', { replyKeyboard: { rows: [[{ text: '' }]] } }), (err: unknown) => (err as { code?: string }).code === 'bad_request', 'an empty button text is refused before sending');

    await Promise.all([owner, person].map((u) => u.client.stop()));
    await gateway.close();
    const everything = serverBytes(server.dataDir, log);
    for (const s of ['Are cats cool?', 'Yes, they certainly are', 'Decide now!', 'Take your time.']) {
      assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
    }
  });
});
