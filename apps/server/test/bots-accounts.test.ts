import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, RestApi, accounts, generateDeviceKey, registerBotDevice } from '@parley/client';
import { createUser, newClient, startTestServer, waitFor, type TestServer } from '@parley/testing';
import { RawPeer } from './raw.ts';

const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;
const plain = (text: string) => ({ contentType: 'parley/plain+json', payload: Buffer.from(JSON.stringify({ kind: 'text', text })).toString('base64') });

/** A bot's device as a gateway makes it: a fresh key registered with the token, then a signed-in client. */
async function botDevice(server: TestServer, token: string) {
  const deviceKey = await generateDeviceKey();
  const { userId, deviceId } = await registerBotDevice(server.url, { token, deviceName: 'gateway', deviceKey });
  return { userId, deviceId, deviceKey };
}

describe('bot accounts (R90-R92)', () => {
  it('R90 an owner creates, lists, rotates, revokes and deletes a bot; only the owner can, and a handle must end in "bot"', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const other = await createUser(server.url, { displayName: 'Petr' });
    await assert.rejects(owner.client.bots.create({ handle: 'weather', displayName: 'Weather' }), code('bad_request'));
    const { bot, token } = await owner.client.bots.create({ handle: 'weather_bot', displayName: 'Weather', description: 'Forecasts' });
    assert.match(token, new RegExp(`^${bot.userId}:[A-Za-z0-9_-]{32,}$`));
    assert.deepEqual((await owner.client.bots.list()).map((b) => [b.handle, b.displayName, b.description, b.hasToken]), [['weather_bot', 'Weather', 'Forecasts', true]]);
    assert.deepEqual(await other.client.bots.list(), []);
    await assert.rejects(other.client.bots.rotateToken(bot.userId), code('bot_not_found'));
    await assert.rejects(other.client.bots.delete(bot.userId), code('bot_not_found'));
    await assert.rejects(owner.client.bots.create({ handle: 'weather_bot', displayName: 'Again' }), code('handle_taken'));
    // The server keeps only the token's hash.
    const stored = await server.services.storage.getUserByHandle('weather_bot');
    assert.equal(stored?.userId, bot.userId);

    const first = await botDevice(server, token);
    assert.equal(first.userId, bot.userId);
    const botClient = newClient(server.url, first.userId, first.deviceId, first.deviceKey);
    await botClient.start();
    await waitFor(() => botClient.connectionState === 'online', { what: 'the bot online' });

    const fresh = await owner.client.bots.rotateToken(bot.userId);
    assert.notEqual(fresh, token);
    await assert.rejects(botDevice(server, token), code('bot_token_invalid'));
    await waitFor(() => botClient.connectionState === 'revoked', { what: 'the old token\'s device signed out' });
    await botClient.stop();
    const second = await botDevice(server, fresh);
    assert.equal(second.userId, bot.userId);

    await owner.client.bots.revoke(bot.userId);
    assert.equal((await owner.client.bots.list())[0]?.hasToken, false);
    await assert.rejects(botDevice(server, fresh), code('bot_token_invalid'));
    await assert.rejects(new RestApi(server.url).call('POST', '/bots/device', { token: 'garbage', device: { name: 'x', publicKey: second.deviceKey.publicKey } }), code('bad_request'));

    await owner.client.bots.delete(bot.userId);
    assert.deepEqual(await owner.client.bots.list(), []);
    await assert.rejects(owner.client.bots.rotateToken(bot.userId), code('bot_not_found'));
    for (const u of [owner, other]) await u.client.stop();
  });

  it('R91 a person opens a chat with a bot without a request; the bot cannot start one with a stranger, make a group or add people. R143 its owner sets its avatar, which members see', async () => {
    await using server = await startTestServer({ PARLEY_CONSENT_REQUIRED: 'true', PARLEY_BOT_AVATAR_MAX_BYTES: '2048' });
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const stranger = await createUser(server.url);
    const { bot, token } = await owner.client.bots.create({ handle: 'helper_bot', displayName: 'Helper' });
    const dev = await botDevice(server, token);
    const botClient = newClient(server.url, dev.userId, dev.deviceId, dev.deviceKey);
    await botClient.start();
    await waitFor(() => botClient.connectionState === 'online', { what: 'the bot online' });

    const chat = await person.client.openDirect(bot.userId);
    assert.deepEqual(chat.members.map((m) => m.userId).sort(), [person.userId, bot.userId].sort(), 'the bot is a member at once (no request)');
    // People see which member is a bot (read by its owner's software), in the chat and on its profile.
    assert.deepEqual(chat.members.map((m) => [m.userId, m.bot ?? false]).sort(), [[person.userId, false], [bot.userId, true]].sort());
    assert.equal((await person.client.getUser(bot.userId)).bot, true);
    assert.equal((await person.client.getUser(owner.userId)).bot, undefined);
    assert.equal((await botClient.me()).user.bot, true);
    await person.client.sendText(chat.chatId, 'hello bot');
    await waitFor(() => botClient.timeline(chat.chatId).some((i) => i.text === 'hello bot'), { what: 'the bot reads it', timeoutMs: 20_000 });
    // The person wrote first: the bot may open (and reply in) that chat.
    assert.equal((await botClient.openDirect(person.userId)).chatId, chat.chatId);
    await assert.rejects(botClient.openDirect(stranger.userId), code('bot_chat_forbidden'));
    await assert.rejects(botClient.createGroup({ name: 'spam', memberIds: [stranger.userId] }), code('bot_chat_forbidden'));
    assert.deepEqual(stranger.client.requests(), []);
    await assert.rejects(botClient.bots.create({ handle: 'child_bot', displayName: 'x' }), code('forbidden'));

    // R143: the owner sets the avatar; members see it on the bot in the chat and its profile, and fetch it as what it is.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array<number>(100).fill(7)]);
    assert.equal(await person.client.bots.avatar(bot.userId), undefined, 'none yet');
    await assert.rejects(person.client.bots.setAvatar(bot.userId, png, 'image/png'), code('bot_not_found'));
    await assert.rejects(owner.client.bots.setAvatar(bot.userId, new TextEncoder().encode('<html><script>alert(1)</script></html>'), 'image/png'), code('bot_avatar_invalid'));
    await assert.rejects(owner.client.bots.setAvatar(bot.userId, png, 'image/jpeg'), code('bot_avatar_invalid'));
    await assert.rejects(owner.client.bots.setAvatar(bot.userId, new Uint8Array([...png, ...new Array<number>(2048).fill(0)]), 'image/png'), code('bot_avatar_too_large'));
    const notOwners = await stranger.client.channels.uploadFile(png, { mime: 'image/png' });
    const ownerRest = new RestApi(server.url, (await accounts.login(server.url, owner.deviceId, owner.deviceKey)).token);
    await assert.rejects(ownerRest.call('PUT', `/bots/${bot.userId}/avatar`, { blobId: notOwners.blobId, mime: 'image/png' }), code('blob_not_found'));
    const info = await owner.client.bots.setAvatar(bot.userId, png, 'image/png');
    assert.match(info.avatar ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.equal((await owner.client.bots.list())[0]?.avatar, info.avatar);
    assert.deepEqual(await person.client.bots.avatar(bot.userId), { bytes: png, mime: 'image/png' });
    const raw = await fetch(`${server.url}/api/v1/bots/${bot.userId}/avatar`, { headers: { authorization: `Bearer ${ownerRest.token ?? ''}` } });
    assert.deepEqual([raw.headers.get('content-type'), raw.headers.get('x-content-type-options')], ['image/png', 'nosniff']);
    assert.equal((await fetch(`${server.url}/api/v1/bots/${bot.userId}/avatar`)).status, 401, 'signed-in people only');
    assert.equal((await person.client.getUser(bot.userId)).botAvatar, info.avatar);
    assert.equal((await person.client.getUser(owner.userId)).botAvatar, undefined);
    await waitFor(async () => (await person.client.getChat(chat.chatId)).members.find((m) => m.userId === bot.userId)?.botAvatar === info.avatar, { what: 'the member carries it' });
    await assert.rejects(person.client.bots.removeAvatar(bot.userId), code('bot_not_found'));
    await owner.client.bots.removeAvatar(bot.userId);
    assert.equal(await person.client.bots.avatar(bot.userId), undefined, 'removed');
    assert.equal((await person.client.getUser(bot.userId)).botAvatar, undefined);
    await botClient.stop();
    for (const u of [owner, person, stranger]) await u.client.stop();
  });

  it('R92 a bot\'s sends over all its devices share one limit, refused with rate_limited and retryAfter; a person is not held by it', async () => {
    const BURST = 4;
    await using server = await startTestServer({ PARLEY_RATE_BOT_SEND_PER_SEC: '1', PARLEY_RATE_BOT_SEND_BURST: String(BURST) });
    const owner = await createUser(server.url, { start: false });
    const person = await createUser(server.url, { start: false });
    const { bot, token } = await owner.client.bots.create({ handle: 'flood_bot', displayName: 'Flood' });
    const devices = [await botDevice(server, token), await botDevice(server, token)];
    const personPeer = await RawPeer.authed(server.url, person.deviceId, (d) => person.deviceKey.sign(d));
    const session = await accounts.login(server.url, person.deviceId, person.deviceKey);
    const { chat } = await new RestApi(server.url, session.token).call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: bot.userId });
    const peers = await Promise.all(devices.map((d) => RawPeer.authed(server.url, d.deviceId, (data) => d.deviceKey.sign(data))));
    const replies: Record<string, unknown>[] = [];
    for (let i = 0; i < BURST * 2; i++) {
      const peer = peers[i % 2]!;
      peer.send({ type: 'send', rid: `b${i}`, chatId: chat.chatId, clientMsgId: `bot_flood_${i}`, envelope: plain(`bot ${i}`) });
      replies.push(await peer.next((f) => f['rid'] === `b${i}`));
    }
    const acked = replies.filter((f) => f['type'] === 'ack').length;
    const refused = replies.filter((f) => f['type'] === 'error');
    assert.ok(acked >= BURST && acked <= BURST + 1, `the bot got its burst of ${BURST} (and at most one refill), got ${acked}`);
    assert.ok(refused.length >= BURST - 1);
    for (const f of refused) {
      assert.equal(f['code'], 'rate_limited');
      assert.ok(Number(f['retryAfter']) >= 1, 'refused with retryAfter');
    }
    for (let i = 0; i < BURST * 2; i++) {
      personPeer.send({ type: 'send', rid: `p${i}`, chatId: chat.chatId, clientMsgId: `person_msg_${i}`, envelope: plain(`person ${i}`) });
      assert.equal((await personPeer.next((f) => f['rid'] === `p${i}`))['type'], 'ack');
    }
    for (const p of [...peers, personPeer]) p.ws.close();
  });
});
