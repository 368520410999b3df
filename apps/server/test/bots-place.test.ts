import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Api, GrammyError } from 'grammy';
import { isLive } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, testGateway } from './bot-run.ts';

const is400 = (re: RegExp) => (e: unknown) => e instanceof GrammyError && e.error_code === 400 && re.test(e.description);

/** R151 through grammY's own Api client (as a grammY bot calls it), against a real server and gateway. */
describe('locations and venues through the bot gateway (R151)', () => {
  it('R151 R157 sendLocation (live too) and sendVenue are places people\'s devices show; the bot gets location/venue Messages; bad coordinates are 400', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, person]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'where_bot', displayName: 'Where' });
    const botId = created.bot.userId;
    await using gw = await testGateway(server.url, created.token);
    const api = new Api(created.token, { apiRoot: gw.url });
    const { chatId } = await person.client.openDirect(botId);
    await person.client.sendText(chatId, 'where?');
    let chat = 0;
    await waitFor(async () => { chat = (await api.getUpdates({ timeout: 0 })).find((u) => u.message)?.message?.chat.id ?? chat; return chat !== 0; }, { what: 'the person\'s message' });

    const here = await api.sendLocation(chat, 52.52, 13.405, { reply_markup: { inline_keyboard: [[{ text: 'Directions', url: 'https://www.openstreetmap.org/' }]] } });
    assert.deepEqual(here.location, { latitude: 52.52, longitude: 13.405 });
    const depot = await api.sendVenue(chat, 48.8584, 2.2945, 'Tram depot', '1 Rue du Dépôt, Paris');
    assert.deepEqual([depot.venue?.title, depot.venue?.address, depot.location?.latitude], ['Tram depot', '1 Rue du Dépôt, Paris', 48.8584]);
    await waitFor(() => fromBot(person, chatId, botId).filter((i) => i.place).length === 2, { what: 'both places at the person' });
    const [loc, venue] = fromBot(person, chatId, botId).filter((i) => i.place);
    assert.deepEqual([loc!.place, loc!.text, loc!.replyMarkup?.inlineKeyboard[0]?.[0]?.text], [{ lat: 52.52, lon: 13.405 }, '', 'Directions']);
    assert.deepEqual(venue!.place, { lat: 48.8584, lon: 2.2945, title: 'Tram depot', address: '1 Rue du Dépôt, Paris' });
    await api.deleteMessage(chat, here.message_id);
    await waitFor(() => person.client.timeline(chatId).find((i) => i.id === loc!.id)?.deleted === true, { what: 'the location deleted' });

    await assert.rejects(api.sendLocation(chat, 91, 0), is400(/latitude/));
    // R157: a live location moves at the person's device, then stops; a stopped one can't be moved.
    const live = await api.sendLocation(chat, 55.75, 37.61, { live_period: 900, horizontal_accuracy: 20 });
    assert.deepEqual(live.location, { latitude: 55.75, longitude: 37.61, horizontal_accuracy: 20, live_period: 900 });
    const moved = await api.editMessageLiveLocation(chat, live.message_id, 55.76, 37.62, { heading: 90 });
    assert.deepEqual(moved !== true && moved.location, { latitude: 55.76, longitude: 37.62, heading: 90, live_period: 900 });
    await assert.rejects(api.editMessageLiveLocation(chat, live.message_id, 55.76, 37.62, { heading: 90 }), is400(/not modified/));
    await waitFor(() => fromBot(person, chatId, botId).find((i) => i.place?.live)?.place?.lat === 55.76, { what: 'the live location moved at the person' });
    await api.stopMessageLiveLocation(chat, live.message_id);
    await waitFor(() => fromBot(person, chatId, botId).find((i) => i.place?.live)?.place?.live?.stopped === true, { what: 'the live location stopped at the person' });
    const stopped = fromBot(person, chatId, botId).find((i) => i.place?.live)!;
    assert.deepEqual([stopped.place?.lat, stopped.edited, isLive(stopped, Date.now())], [55.76, false, false]);
    await assert.rejects(api.editMessageLiveLocation(chat, live.message_id, 1, 1), is400(/stopped/));
    await assert.rejects(api.editMessageLiveLocation(chat, depot.message_id, 1, 1), is400(/not a live location/));
    await assert.rejects(api.sendLocation(chat, 0, 0, { live_period: 59 }), is400(/live period/));
    // R157: a moved place is applied only while live, by its sender: the fold ignores a late move.
    assert.equal(isLive({ sentAt: 0, place: { lat: 0, lon: 0, live: { period: 60 } } }, 60_001), false);
    await assert.rejects(api.sendVenue(chat, 1, 1, '', 'x'), is400(/title/));
    // A person's place (through the SDK) reaches the bot as Telegram's location and venue.
    await person.client.bots.sendText(chatId, '', { place: { lat: 59.93, lon: 30.36, title: 'Home', address: 'Nevsky 1' } });
    let got: { location?: { latitude: number }; venue?: { title: string } } | undefined;
    await waitFor(async () => { got = (await api.getUpdates({ timeout: 0 })).map((u) => u.message).find((m) => m?.location) ?? got; return got !== undefined; }, { what: 'the person\'s place at the bot' });
    assert.deepEqual([got!.location?.latitude, got!.venue?.title], [59.93, 'Home']);
    // R157: a person's live location moving reaches the bot as Telegram's edited_message.
    const walk = await person.client.bots.sendText(chatId, '', { place: { lat: 1, lon: 2, live: { period: 60 } } });
    await waitFor(() => person.client.timeline(chatId).find((i) => i.id === walk)?.state === 'sent', { what: 'the live location sent', timeoutMs: 30_000 });
    await person.client.bots.movePlace(chatId, walk, { lat: 1.5, lon: 2, live: { period: 60 } });
    let edited: { location?: { latitude: number; live_period?: number } } | undefined;
    await waitFor(async () => { edited = (await api.getUpdates({ timeout: 0 })).map((u) => u.edited_message).find((m) => m?.location) ?? edited; return edited !== undefined; }, { what: 'the moved live location at the bot' });
    assert.deepEqual(edited!.location, { latitude: 1.5, longitude: 2, live_period: 60 });
    // R151: a place is checked by the schema before anything is sent.
    await assert.rejects(person.client.bots.sendText(chatId, '', { place: { lat: 0, lon: 181 } }), (e: unknown) => (e as { code?: string }).code === 'bad_request');
  });
});
