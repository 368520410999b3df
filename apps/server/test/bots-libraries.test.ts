import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { exampleBot, fromBot } from './bot-run.ts';

/** The person writes `text` and waits for a bot line that `match`es. */
async function ask(person: TestUser, chatId: string, botId: string, text: string, match: (t: string) => boolean, what: string) {
  await person.client.sendText(chatId, text);
  await waitFor(() => fromBot(person, chatId, botId).some((i) => match(i.text)), { what, timeoutMs: 40_000 });
  return fromBot(person, chatId, botId).findLast((i) => match(i.text))!;
}

describe('telegraf and node-telegram-bot-api bots on Parley (R94)', () => {
  it('R94 telegraf\'s README bot and keyboard example run unmodified: commands, hears, a press answered and the message edited', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    await using chat = await exampleBot(server.url, owner, person, { handle: 'tf_echo_bot', displayName: 'Telegraf echo', file: 'telegraf-echo.mjs' });
    await ask(person, chat.chatId, chat.botId, '/start', (t) => t === 'Welcome', 'telegraf /start');
    await ask(person, chat.chatId, chat.botId, '/help', (t) => t === 'Send me a sticker', 'telegraf /help');
    await ask(person, chat.chatId, chat.botId, 'hi', (t) => t === 'Hey there', 'telegraf hears');

    await using kchat = await exampleBot(server.url, owner, person, { handle: 'tf_drinks_bot', displayName: 'Drinks', file: 'telegraf-keyboard.mjs' });
    const menu = await ask(person, kchat.chatId, kchat.botId, '/onetime', (t) => t === 'What do you want?', 'the keyboard');
    assert.deepEqual(menu.replyMarkup?.inlineKeyboard, [[{ text: 'Coke', callbackData: 'Coke' }, { text: 'Pepsi', callbackData: 'Pepsi' }]]);
    const query = await person.client.bots.press(kchat.chatId, menu.id, 'Pepsi');
    await waitFor(() => person.client.timeline(kchat.chatId).find((i) => i.id === menu.id)?.text === '🎉 Awesome! Enjoy your Pepsi 🎉', { what: 'the edit', timeoutMs: 20_000 });
    await waitFor(async () => (await person.client.bots.answerTo(kchat.chatId, query))?.text === 'Oh, Pepsi! Great choice', { what: 'the answer' });
    for (const u of [owner, person]) await u.client.stop();
  });

  it('R94 node-telegram-bot-api\'s README bot and its echo example run unmodified (form-encoded calls): commands, regex, keyboard, callback answer, the echo', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    await using chat = await exampleBot(server.url, owner, person, { handle: 'ntba_bot', displayName: 'NTBA', file: 'ntba-keyboard.mjs' });
    await ask(person, chat.chatId, chat.botId, '/start', (t) => t === 'Hi! Send me anything.', 'ntba /start');
    await ask(person, chat.chatId, chat.botId, 'echo the tram is late', (t) => t === 'the tram is late', 'ntba hears');
    const pick = await ask(person, chat.chatId, chat.botId, 'anything', (t) => t === 'Pick one:', 'ntba keyboard');
    assert.deepEqual(pick.replyMarkup?.inlineKeyboard, [[{ text: '👍', callbackData: 'up' }, { text: '👎', callbackData: 'down' }]]);
    const query = await person.client.bots.press(chat.chatId, pick.id, 'down');
    await waitFor(async () => (await person.client.bots.answerTo(chat.chatId, query))?.text === 'You tapped down', { what: 'the answer', timeoutMs: 20_000 });

    // Its repository's examples/01-polling-bot.ts: commands with arguments, hears, the echo.
    await using echat = await exampleBot(server.url, owner, person, { handle: 'ntba_echo_bot', displayName: 'NTBA echo', file: 'ntba-echo.mjs' });
    await ask(person, echat.chatId, echat.botId, '/help', (t) => t === 'Hi! Send me anything and I\'ll echo it.', 'ntba /help');
    await ask(person, echat.chatId, echat.botId, '/echo platform 2', (t) => t === 'platform 2', 'ntba /echo');
    await ask(person, echat.chatId, echat.botId, 'ping', (t) => t === 'pong', 'ntba ping');
    await ask(person, echat.chatId, echat.botId, 'roll 1', (t) => t === '🎲 1', 'ntba roll');
    await ask(person, echat.chatId, echat.botId, 'the 8:15 is cancelled', (t) => t === 'the 8:15 is cancelled', 'ntba echo');
    for (const u of [owner, person]) await u.client.stop();
  });
});
