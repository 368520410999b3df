import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BlobStorage } from './blob-storage.ts';
import type { BotRow, BotStorage } from './bot-storage.ts';
import type { Storage, UserRow } from './storage.ts';
import { T0, device, rejectsWith, seedUsers, uid } from './storage.fixtures.ts';

const botUser = (name: string, handle = `${name}_bot`): UserRow => ({ userId: uid(name), handle, displayName: name, createdAt: T0, recoveryHash: 'none' });
const bot = (name: string, owner: string, tokenHash: string | null = `hash_${name}`): BotRow => ({
  botUserId: uid(name), ownerUserId: uid(owner), description: `${name} helps`, tokenHash, createdAt: T0, deletedAt: null, commands: [], groupPrivacy: true,
});

/**
 * The BotStorage contract (R90-R92), run against SQLite and PostgreSQL. `open` gives a fresh,
 * migrated database: its Storage and BotStorage.
 */
export function botStorageSuite(name: string, open: () => Promise<{ storage: Storage; bots: BotStorage; blobs: BlobStorage }>): void {
  describe(`${name}: bots`, () => {
    let storage: Storage;
    let s: BotStorage;
    let blobs: BlobStorage;
    beforeEach(async () => {
      ({ storage, bots: s, blobs } = await open());
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

    it('R129 a bot runs on this server while its hosted device is its only live one: not before, not beside an owner\'s device, not once signed out', async () => {
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      await s.createBot(botUser('quiz'), bot('quiz', 'alice'));
      const hosted = { ...device('echo', 1), userId: uid('echo') };
      await storage.addDevice(hosted);
      assert.deepEqual(await s.hostedAmong([uid('echo'), uid('quiz')]), new Set(), 'not hosted until the server says so');
      await s.setHostedDevice(uid('echo'), hosted.deviceId);
      assert.deepEqual(await s.hostedAmong([uid('echo'), uid('quiz'), uid('alice')]), new Set([uid('echo')]));
      assert.deepEqual(await s.hostedAmong([]), new Set());
      const owners = { ...device('echo', 2), userId: uid('echo') };
      await storage.addDevice(owners);
      assert.deepEqual(await s.hostedAmong([uid('echo')]), new Set(), 'a gateway of the owner\'s beside it');
      await storage.revokeDevice(owners.deviceId, T0 + 1);
      assert.deepEqual(await s.hostedAmong([uid('echo')]), new Set([uid('echo')]));
      await storage.revokeDevice(hosted.deviceId, T0 + 2);
      assert.deepEqual(await s.hostedAmong([uid('echo')]), new Set(), 'its hosted device signed out (token rotated)');
    });

    it('R143 an avatar reads back with the bot, is named by avatarsAmong, keeps its blob from the sweep, and once replaced lets it go', async () => {
      for (const id of ['avatar_one_0000000000a', 'avatar_two_0000000000b']) {
        await blobs.createBlob({ blobId: id, ownerUserId: uid('alice'), ownerDeviceId: device('alice', 1).deviceId, length: 3, createdAt: T0, completedAt: null }, { quotaBytes: 1e9, maxInFlight: 8 });
        await blobs.completeBlob(id, T0 + 1);
      }
      await s.createBot(botUser('echo'), bot('echo', 'alice'));
      await s.createBot(botUser('quiz'), bot('quiz', 'alice'));
      assert.equal((await s.getBot(uid('echo')))?.avatar, undefined);
      await s.setBotAvatar(uid('echo'), { blobId: 'avatar_one_0000000000a', mime: 'image/png' });
      assert.deepEqual((await s.getBot(uid('echo')))?.avatar, { blobId: 'avatar_one_0000000000a', mime: 'image/png' });
      assert.deepEqual((await s.listBots(uid('alice'))).map((b) => b.bot.avatar?.mime), ['image/png', undefined]);
      assert.deepEqual(await s.avatarsAmong([uid('echo'), uid('quiz'), uid('alice')]), new Map([[uid('echo'), 'avatar_one_0000000000a']]));
      assert.deepEqual(await s.avatarsAmong([]), new Map());
      assert.deepEqual(await blobs.expiredBlobs(T0 + 10, 10), ['avatar_two_0000000000b'], 'the avatar is kept');
      assert.equal(await blobs.deleteBlob('avatar_one_0000000000a'), false);
      await s.setBotAvatar(uid('echo'), { blobId: 'avatar_two_0000000000b', mime: 'image/webp' });
      assert.deepEqual(await blobs.expiredBlobs(T0 + 10, 10), ['avatar_one_0000000000a'], 'the old one ages out');
      await s.setBotAvatar(uid('echo'), null);
      assert.equal((await s.getBot(uid('echo')))?.avatar, undefined);
      await s.setBotAvatar(uid('quiz'), { blobId: 'avatar_two_0000000000b', mime: 'image/webp' });
      await s.deleteBot(uid('quiz'), T0 + 5);
      assert.deepEqual(await s.avatarsAmong([uid('quiz')]), new Map(), 'a deleted bot shows none');
    });
  });
}
