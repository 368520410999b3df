import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { startGateway } from '@parley/bot-gateway';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot } from './bot-run.ts';
import { leaks, serverBytes } from './server-bytes.ts';

describe('Telegram bots on Parley through the bot gateway (R90-R94)', () => {
  it('R94 grammY\'s echo bot and a grammY inline-keyboard bot run unmodified; a person talks to them end to end; the server holds none of the texts', async () => {
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const dirs = [mkdtempSync(join(tmpdir(), 'parley-gw-')), mkdtempSync(join(tmpdir(), 'parley-gw-'))];
    try {
      // --- the echo bot ------------------------------------------------------------------------
      const echo = await owner.client.bots.create({ handle: 'echo_bot', displayName: 'Echo', description: 'says it back' });
      await using echoGateway = await startGateway({ server: server.url, token: echo.token, listen: { host: '127.0.0.1', port: 0 }, dataDir: dirs[0]!, log: () => undefined });
      await using _echoBot = runBot('grammy-echo.mjs', { token: echo.token, apiRoot: echoGateway.url });
      const chat = await person.client.openDirect(echo.bot.userId);
      await person.client.sendText(chat.chatId, '/start');
      await waitFor(() => fromBot(person, chat.chatId, echo.bot.userId).some((i) => i.text === 'Welcome! Up and running.'), { what: 'the echo bot\'s welcome', timeoutMs: 40_000 });
      await person.client.sendText(chat.chatId, 'the ferry leaves at 7:40 from pier nine');
      await waitFor(() => fromBot(person, chat.chatId, echo.bot.userId).some((i) => i.text === 'the ferry leaves at 7:40 from pier nine'), { what: 'the echo', timeoutMs: 20_000 });
      assert.equal(person.client.chat(chat.chatId)?.encryption, 'on', 'the chat with the bot is end-to-end encrypted');

      // --- the inline keyboard bot -------------------------------------------------------------
      const pager = await owner.client.bots.create({ handle: 'pager_bot', displayName: 'Pager' });
      await using pagerGateway = await startGateway({ server: server.url, token: pager.token, listen: { host: '127.0.0.1', port: 0 }, dataDir: dirs[1]!, log: () => undefined });
      await using _pagerBot = runBot('grammy-keyboard.mjs', { token: pager.token, apiRoot: pagerGateway.url });
      const pchat = await person.client.openDirect(pager.bot.userId);
      await person.client.sendText(pchat.chatId, '/start');
      await waitFor(() => fromBot(person, pchat.chatId, pager.bot.userId).some((i) => i.text === 'Choose a page' && i.replyMarkup), { what: 'the keyboard', timeoutMs: 40_000 });
      const menu = fromBot(person, pchat.chatId, pager.bot.userId).find((i) => i.text === 'Choose a page')!;
      assert.deepEqual(menu.replyMarkup, { inlineKeyboard: [[{ text: '« 1', callbackData: 'first' }, { text: '‹ 3', callbackData: 'prev' }], [{ text: 'Docs', url: 'https://grammy.dev' }]] });

      const query = await person.client.bots.press(pchat.chatId, menu.id, 'prev');
      await waitFor(() => person.client.timeline(pchat.chatId).find((i) => i.id === menu.id)?.text === 'Page 3 of 3', { what: 'the edited message', timeoutMs: 20_000 });
      const edited = person.client.timeline(pchat.chatId).find((i) => i.id === menu.id)!;
      assert.equal(edited.edited, true);
      assert.deepEqual(edited.replyMarkup, { inlineKeyboard: [[{ text: '« 1', callbackData: 'first' }]] }, 'the edit brought its own keyboard');
      await waitFor(async () => (await person.client.bots.answerTo(pchat.chatId, query)) !== undefined, { what: 'the answer to the press' });

      const second = await person.client.bots.press(pchat.chatId, menu.id, 'first');
      await waitFor(() => person.client.timeline(pchat.chatId).find((i) => i.id === menu.id)?.text === 'Page 1 of 3', { what: 'the second edit', timeoutMs: 20_000 });
      const page1 = person.client.timeline(pchat.chatId).find((i) => i.id === menu.id)!;
      assert.deepEqual(page1.entities, [{ type: 'bold', offset: 0, length: 6 }], 'HTML parse mode became Parley formatting');
      assert.equal(page1.replyMarkup, undefined, 'an edit without reply_markup leaves no keyboard');
      await waitFor(async () => (await person.client.bots.answerTo(pchat.chatId, second))?.text === 'Going to page 1', { what: 'the answer text' });
      await assert.rejects(person.client.bots.press(pchat.chatId, menu.id, 'first'), (err: unknown) => (err as { code?: string }).code === 'not_found', 'no button left to press');

      // --- what the server holds ---------------------------------------------------------------
      await Promise.all([owner, person].map((u) => u.client.stop()));
      await echoGateway.close();
      await pagerGateway.close();
      const everything = serverBytes(server.dataDir, log);
      assert.ok(leaks(everything, new TextEncoder().encode(chat.chatId)), 'the scan finds what is there (chat ids)');
      for (const s of ['the ferry leaves at 7:40 from pier nine', 'Welcome! Up and running.', 'Choose a page', 'Page 3 of 3', 'Going to page 1', 'grammy.dev']) {
        assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
      }
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
