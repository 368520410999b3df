import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Api, GrammyError } from 'grammy';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, testGateway } from './bot-run.ts';

const is400 = (re: RegExp) => (e: unknown) => e instanceof GrammyError && e.error_code === 400 && re.test(e.description);

/** R151 through grammY's own Api client (as a grammY bot calls it), against a real server and gateway. */
describe('locations and venues through the bot gateway (R151)', () => {
  it('R151 sendLocation and sendVenue are places people\'s devices show; the bot gets location/venue Messages; bad coordinates are 400', async () => {
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
    await assert.rejects(api.sendLocation(chat, 0, 0, { live_period: 60 }), is400(/live locations/));
    await assert.rejects(api.sendVenue(chat, 1, 1, '', 'x'), is400(/title/));
    // A person's place (through the SDK) reaches the bot as Telegram's location and venue.
    await person.client.bots.sendText(chatId, '', { place: { lat: 59.93, lon: 30.36, title: 'Home', address: 'Nevsky 1' } });
    let got: { location?: { latitude: number }; venue?: { title: string } } | undefined;
    await waitFor(async () => { got = (await api.getUpdates({ timeout: 0 })).map((u) => u.message).find((m) => m?.location) ?? got; return got !== undefined; }, { what: 'the person\'s place at the bot' });
    assert.deepEqual([got!.location?.latitude, got!.venue?.title], [59.93, 'Home']);
    // R151: a place is checked by the schema before anything is sent.
    await assert.rejects(person.client.bots.sendText(chatId, '', { place: { lat: 0, lon: 181 } }), (e: unknown) => (e as { code?: string }).code === 'bad_request');
  });
});
