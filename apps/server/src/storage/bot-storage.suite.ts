import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BotRow, BotStorage } from './bot-storage.ts';
import type { Storage, UserRow } from './storage.ts';
import { T0, rejectsWith, seedUsers, uid } from './storage.fixtures.ts';

const botUser = (name: string, handle = `${name}_bot`): UserRow => ({ userId: uid(name), handle, displayName: name, createdAt: T0, recoveryHash: 'none' });
const bot = (name: string, owner: string, tokenHash: string | null = `hash_${name}`): BotRow => ({
  botUserId: uid(name), ownerUserId: uid(owner), description: `${name} helps`, tokenHash, createdAt: T0, deletedAt: null, commands: [], groupPrivacy: true,
});

/**
 * The BotStorage contract (R90-R92), run against SQLite and PostgreSQL. `open` gives a fresh,
 * migrated database: its Storage and BotStorage.
 */
export function botStorageSuite(name: string, open: () => Promise<{ storage: Storage; bots: BotStorage }>): void {
  describe(`${name}: bots`, () => {
    let storage: Storage;
    let s: BotStorage;
    beforeEach(async () => {
      ({ storage, bots: s } = await open());
      await seedUsers(storage, 'alice', 'bob');
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R90 a bot is a user with an owner: it reads back, is listed for its owner only, and is found by its token hash', async () => {
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      assert.equal((await storage.getUser(uid('echo')))?.handle, 'echo_bot');
      assert.deepEqual(await s.getBot(uid('echo')), bot('echo', 'alice'));
      assert.deepEqual((await s.listBots(uid('alice'))).map((b) => [b.bot.botUserId, b.user.handle, b.user.createdAt]), [[uid('echo'), 'echo_bot', T0]]);
      assert.deepEqual(await s.listBots(uid('bob')), []);
      assert.equal((await s.getBotByTokenHash('hash_echo'))?.botUserId, uid('echo'));
      assert.equal(await s.getBotByTokenHash('hash_other'), undefined);
      assert.deepEqual(await s.botsAmong([uid('alice'), uid('echo'), 'user_nobody']), new Set([uid('echo')]));
      assert.deepEqual(await s.botsAmong([]), new Set());
    });

    it('R90 a taken handle is handle_taken and leaves neither the user nor the bot row behind', async () => {
      await rejectsWith(s.createBot(botUser('echo', (await storage.getUser(uid('alice')))!.handle), bot('echo', 'alice')), 'handle_taken');
      assert.equal(await storage.getUser(uid('echo')), undefined);
      assert.equal(await s.getBot(uid('echo')), undefined);
    });

    it('R90b rotating replaces the hash (the old one finds nothing), revoking leaves none', async () => {
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      await s.setBotToken(uid('echo'), 'hash_new');
      assert.equal(await s.getBotByTokenHash('hash_echo'), undefined);
      assert.equal((await s.getBotByTokenHash('hash_new'))?.botUserId, uid('echo'));
      await s.setBotToken(uid('echo'), null);
      assert.equal(await s.getBotByTokenHash('hash_new'), undefined);
      assert.equal((await s.getBot(uid('echo')))?.tokenHash, null);
    });

    it('R108 a bot\'s commands are kept in order, replaced whole, and read back with it and its owner\'s list', async () => {
      await s.createBot(botUser('echo'), { ...bot('echo', 'alice'), commands: [{ command: 'start', description: 'Begin' }] });
      assert.deepEqual((await s.getBot(uid('echo')))?.commands, [{ command: 'start', description: 'Begin' }]);
      const menu = [{ command: 'weather', description: 'Forecast — «сегодня»' }, { command: 'help', description: 'What I do' }];
      await s.setBotCommands(uid('echo'), menu);
      assert.deepEqual((await s.getBot(uid('echo')))?.commands, menu);
      assert.deepEqual((await s.listBots(uid('alice')))[0]?.bot.commands, menu);
      await s.setBotCommands(uid('echo'), []);
      assert.deepEqual((await s.getBot(uid('echo')))?.commands, []);
    });

    it('R90 a deleted bot is not listed, its token finds nothing, and it is still known as a bot', async () => {
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      await s.createBot(botUser('quiz'), bot('quiz', 'alice'));
      await s.deleteBot(uid('echo'), T0 + 5);
      assert.deepEqual((await s.listBots(uid('alice'))).map((b) => b.bot.botUserId), [uid('quiz')]);
      assert.equal(await s.getBotByTokenHash('hash_echo'), undefined);
      assert.deepEqual(await s.getBot(uid('echo')), { ...bot('echo', 'alice', null), deletedAt: T0 + 5 });
      assert.deepEqual(await s.botsAmong([uid('echo')]), new Set([uid('echo')]));
    });

    it('R105 privacy mode is on for a new bot; turned off and on again it reads back, in the listing too', async () => {
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      await s.createBot(botUser('quiz'), bot('quiz', 'alice'));
      await s.setBotPrivacy(uid('echo'), false);
      assert.equal((await s.getBot(uid('echo')))?.groupPrivacy, false);
      assert.equal((await s.getBot(uid('quiz')))?.groupPrivacy, true);
      assert.deepEqual((await s.listBots(uid('alice'))).map((b) => b.bot.groupPrivacy), [false, true]);
      await s.setBotPrivacy(uid('echo'), true);
      assert.equal((await s.getBotByTokenHash('hash_echo'))?.groupPrivacy, true);
    });
  });
}
