import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, generateDeviceKey, registerBotDevice } from '@parley/client';
import { createUser, newClient, startTestServer, waitFor } from '@parley/testing';
import { testGateway } from './bot-run.ts';

const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

describe('bot command menus (R108)', () => {
  it('R108 the owner and the bot itself set the menu; anyone signed in reads it; nobody else sets it; bad menus are bad_request', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const reader = await createUser(server.url, { displayName: 'Rita' });
    const { bot, token } = await owner.client.bots.create({ handle: 'menu_bot', displayName: 'Menu' });
    assert.deepEqual(await reader.client.bots.commands(bot.userId), [], 'a new bot has no menu');

    await owner.client.bots.setCommands(bot.userId, [{ command: 'start', description: 'Begin' }, { command: 'help', description: 'What I do' }]);
    assert.deepEqual(await reader.client.bots.commands(bot.userId), [{ command: 'start', description: 'Begin' }, { command: 'help', description: 'What I do' }]);
    assert.deepEqual((await owner.client.bots.list())[0]?.commands.map((c) => c.command), ['start', 'help'], 'the owner\'s list shows it');

    await assert.rejects(reader.client.bots.setCommands(bot.userId, []), code('bot_not_found'));
    await assert.rejects(owner.client.bots.setCommands(bot.userId, [{ command: 'Bad-One', description: 'x' }]), code('bad_request'));
    await assert.rejects(owner.client.bots.setCommands(bot.userId, [{ command: 'a', description: 'x' }, { command: 'a', description: 'y' }]), code('bad_request'));
    await assert.rejects(reader.client.bots.commands(reader.userId), code('bot_not_found'), 'a person has no menu');
    assert.deepEqual((await reader.client.bots.commands(bot.userId)).length, 2, 'refused menus changed nothing');

    // The bot's own device (what a gateway's setMyCommands does).
    const deviceKey = await generateDeviceKey();
    const dev = await registerBotDevice(server.url, { token, deviceName: 'gateway', deviceKey });
    const botClient = newClient(server.url, dev.userId, dev.deviceId, deviceKey);
    await botClient.start();
    await waitFor(() => botClient.connectionState === 'online', { what: 'bot online' });
    await botClient.bots.setCommands(bot.userId, [{ command: 'weather', description: 'Today\'s forecast' }]);
    assert.deepEqual(await reader.client.bots.commands(bot.userId), [{ command: 'weather', description: 'Today\'s forecast' }]);
    await botClient.stop();

    await owner.client.bots.delete(bot.userId);
    await assert.rejects(reader.client.bots.commands(bot.userId), code('bot_not_found'), 'a deleted bot has no menu');
    await Promise.all([owner, reader].map((u) => u.client.stop()));
  });

  it('R108 the gateway\'s setMyCommands publishes the menu people see; deleteMyCommands empties it; a bad command is Telegram\'s 400', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const reader = await createUser(server.url, { displayName: 'Rita' });
    const { bot, token } = await owner.client.bots.create({ handle: 'gw_menu_bot', displayName: 'Menu' });
    await using gateway = await testGateway(server.url, token);
    const call = async (method: string, body: unknown) => {
      const res = await fetch(`${gateway.url}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() as { ok: boolean; result?: unknown } };
    };
    assert.deepEqual((await call('setMyCommands', { commands: [{ command: 'start', description: 'Begin' }, { command: 'help', description: 'Help' }] })).body, { ok: true, result: true });
    assert.deepEqual(await reader.client.bots.commands(bot.userId), [{ command: 'start', description: 'Begin' }, { command: 'help', description: 'Help' }]);
    assert.deepEqual((await call('getMyCommands', {})).body.result, [{ command: 'start', description: 'Begin' }, { command: 'help', description: 'Help' }]);
    assert.equal((await call('setMyCommands', { commands: [{ command: 'Bad', description: 'x' }] })).status, 400);
    assert.equal((await reader.client.bots.commands(bot.userId)).length, 2, 'a refused menu changed nothing');
    assert.deepEqual((await call('deleteMyCommands', {})).body, { ok: true, result: true });
    assert.deepEqual(await reader.client.bots.commands(bot.userId), []);
    await Promise.all([owner, reader].map((u) => u.client.stop()));
  });
});
