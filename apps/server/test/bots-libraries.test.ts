import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';

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
    const echo = await owner.client.bots.create({ handle: 'tf_echo_bot', displayName: 'Telegraf echo' });
    await using gw = await testGateway(server.url, echo.token);
    await using _bot = runBot('telegraf-echo.mjs', { token: echo.token, apiRoot: gw.url });
    const chat = await person.client.openDirect(echo.bot.userId);
    await ask(person, chat.chatId, echo.bot.userId, '/start', (t) => t === 'Welcome', 'telegraf /start');
    await ask(person, chat.chatId, echo.bot.userId, '/help', (t) => t === 'Send me a sticker', 'telegraf /help');
    await ask(person, chat.chatId, echo.bot.userId, 'hi', (t) => t === 'Hey there', 'telegraf hears');

    const kb = await owner.client.bots.create({ handle: 'tf_drinks_bot', displayName: 'Drinks' });
    await using gw2 = await testGateway(server.url, kb.token);
    await using _bot2 = runBot('telegraf-keyboard.mjs', { token: kb.token, apiRoot: gw2.url });
    const kchat = await person.client.openDirect(kb.bot.userId);
    const menu = await ask(person, kchat.chatId, kb.bot.userId, '/onetime', (t) => t === 'What do you want?', 'the keyboard');
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
    const bot = await owner.client.bots.create({ handle: 'ntba_bot', displayName: 'NTBA' });
    await using gw = await testGateway(server.url, bot.token);
    await using _bot = runBot('ntba-keyboard.mjs', { token: bot.token, apiRoot: gw.url });
    const chat = await person.client.openDirect(bot.bot.userId);
    await ask(person, chat.chatId, bot.bot.userId, '/start', (t) => t === 'Hi! Send me anything.', 'ntba /start');
    await ask(person, chat.chatId, bot.bot.userId, 'echo the tram is late', (t) => t === 'the tram is late', 'ntba hears');
    const pick = await ask(person, chat.chatId, bot.bot.userId, 'anything', (t) => t === 'Pick one:', 'ntba keyboard');
    assert.deepEqual(pick.replyMarkup?.inlineKeyboard, [[{ text: '👍', callbackData: 'up' }, { text: '👎', callbackData: 'down' }]]);
    const query = await person.client.bots.press(chat.chatId, pick.id, 'down');
    await waitFor(async () => (await person.client.bots.answerTo(chat.chatId, query))?.text === 'You tapped down', { what: 'the answer', timeoutMs: 20_000 });

    // Its repository's examples/01-polling-bot.ts: commands with arguments, hears, the echo.
    const echo = await owner.client.bots.create({ handle: 'ntba_echo_bot', displayName: 'NTBA echo' });
    await using gw2 = await testGateway(server.url, echo.token);
    await using _bot2 = runBot('ntba-echo.mjs', { token: echo.token, apiRoot: gw2.url });
    const echat = await person.client.openDirect(echo.bot.userId);
    await ask(person, echat.chatId, echo.bot.userId, '/help', (t) => t === 'Hi! Send me anything and I\'ll echo it.', 'ntba /help');
    await ask(person, echat.chatId, echo.bot.userId, '/echo platform 2', (t) => t === 'platform 2', 'ntba /echo');
    await ask(person, echat.chatId, echo.bot.userId, 'ping', (t) => t === 'pong', 'ntba ping');
    await ask(person, echat.chatId, echo.bot.userId, 'roll 1', (t) => t === '🎲 1', 'ntba roll');
    await ask(person, echat.chatId, echo.bot.userId, 'the 8:15 is cancelled', (t) => t === 'the 8:15 is cancelled', 'ntba echo');
    for (const u of [owner, person]) await u.client.stop();
  });
});
