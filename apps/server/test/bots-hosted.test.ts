import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot } from './bot-run.ts';

describe('bots this server hosts (R129)', () => {
  it('R129 the server runs the gateway of a bot its operator hosts: grammY\'s echo bot answers through it, and people are told it runs on this server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-hosted-'));
    try {
      let token: string;
      let botId: string;
      {
        await using server = await startTestServer({}, { dataDir });
        const owner = await createUser(server.url, { displayName: 'Olga' });
        const created = await owner.client.bots.create({ handle: 'ferry_bot', displayName: 'Ferry' });
        ({ token } = created);
        botId = created.bot.userId;
        assert.equal((await owner.client.getUser(botId)).botRunsOn, 'owner', 'no gateway of the server\'s yet');
        await owner.client.stop();
      }
      // The operator lists the bot (its token) and restarts the server: the server runs its gateway.
      await using server = await startTestServer({ PARLEY_HOSTED_BOTS: `${token}@127.0.0.1:0` }, { dataDir });
      await server.hostedBots.ready;
      const [hosted] = server.hostedBots.running();
      assert.equal(hosted?.botUserId, botId);
      assert.equal(statSync(join(dataDir, 'hosted-bots', botId)).mode & 0o777, 0o700, 'its MLS state is in the data dir, for the server\'s user only');
      await using _bot = runBot('grammy-echo.mjs', { token, apiRoot: hosted.url });

      const person = await createUser(server.url, { displayName: 'Pavel' });
      await using _person = { [Symbol.asyncDispose]: () => person.client.stop() };
      const chat = await person.client.openDirect(botId);
      await person.client.sendText(chat.chatId, '/start');
      await waitFor(() => fromBot(person, chat.chatId, botId).some((i) => i.text === 'Welcome! Up and running.'), { what: 'the hosted bot\'s welcome', timeoutMs: 40_000 });
      await person.client.sendText(chat.chatId, 'is the 7:40 ferry on time');
      await waitFor(() => fromBot(person, chat.chatId, botId).some((i) => i.text === 'is the 7:40 ferry on time'), { what: 'the echo', timeoutMs: 20_000 });
      assert.equal(person.client.chat(chat.chatId)?.encryption, 'on', 'encrypted to the bot\'s device, which this server holds');
      assert.equal(person.client.chat(chat.chatId)?.members.find((m) => m.userId === botId)?.botRunsOn, 'server', 'the member list says where it runs');
      assert.equal((await person.client.getUser(botId)).botRunsOn, 'server', 'its profile too');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
