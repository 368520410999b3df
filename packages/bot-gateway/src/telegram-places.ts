import { LIVE_UNTIL_STOPPED, LivePlace, Place } from '@parley/protocol';
import { isLive } from '@parley/client';
import { badRequest } from './bot-api-error.ts';
import type { Params } from './params.ts';
import type { SendHelpers } from './telegram-files.ts';
import { fromTelegramMarkup, type TelegramObjects } from './telegram-objects.ts';

type Method = (p: Params) => Promise<unknown>;

const NOT_MODIFIED = () => badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');

/** Latitude, longitude and Telegram's optional horizontal_accuracy and heading, checked. */
function position(p: Params): Pick<Place, 'lat' | 'lon' | 'accuracy' | 'heading'> {
  const lat = Number(p.str('latitude'));
  const lon = Number(p.str('longitude'));
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) throw badRequest('wrong latitude or longitude: a latitude is -90..90 and a longitude -180..180');
  const accuracy = p.has('horizontal_accuracy') ? Number(p.str('horizontal_accuracy')) : undefined;
  const heading = p.has('heading') ? Number(p.str('heading')) : undefined;
  if (accuracy !== undefined && !Place.shape.accuracy.safeParse(accuracy).success) throw badRequest('wrong horizontal accuracy: 0-1500 metres');
  if (heading !== undefined && !Place.shape.heading.safeParse(heading).success) throw badRequest('wrong heading: 1-360 degrees');
  return { lat, lon, ...(accuracy !== undefined ? { accuracy } : {}), ...(heading !== undefined ? { heading } : {}) };
}

function livePeriod(p: Params): number {
  const period = p.int('live_period');
  if (!LivePlace.shape.period.safeParse(period).success) throw badRequest(`wrong live period specified: 60-86400 seconds, or ${LIVE_UNTIL_STOPPED} (until stopped)`);
  return period;
}

/**
 * R151: sendLocation and sendVenue as Parley places; R157: a live location (sendLocation with
 * `live_period`), moved by editMessageLiveLocation and ended by stopMessageLiveLocation, each an
 * end-to-end encrypted edit of the bot's own message. No map is fetched by anyone.
 */
export function telegramPlaceMethods(h: SendHelpers, objects: TelegramObjects): Record<string, Method> {
  const sendPlace = async (p: Params, venue: boolean): Promise<unknown> => {
    const chatId = objects.chatIdOf(p.int('chat_id'));
    h.checkPending();
    const at = position(p);
    const live = !venue && p.has('live_period') ? { live: { period: livePeriod(p) } } : {};
    const title = venue ? p.str('title').trim() : undefined;
    const address = venue ? p.str('address').trim() : undefined;
    const parsed = Place.safeParse({ ...at, ...(title ? { title } : {}), ...(address ? { address } : {}), ...live });
    if (!parsed.success || (venue && (!title || !address))) throw badRequest('venue: a title (1-100 characters) and an address (1-200) are required');
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    const replyTo = h.replyTo(p, chatId);
    const sentAt = Date.now();
    const id = await h.call(() => h.client.bots.sendText(chatId, '', { place: parsed.data, ...(replyMarkup ? { replyMarkup } : {}), ...(replyTo ? { replyTo } : {}) }));
    return objects.messageFrom(chatId, { id, senderUserId: objects.botUserId, sentAt, text: '', replyTo, replyMarkup, place: parsed.data });
  };

  /** The bot's own live location that is still live (Telegram's 400 otherwise). */
  const ownLive = (p: Params) => {
    const { chatId, item } = h.ownMessage(p, 'edit');
    const live = item.place?.live;
    if (!item.place || !live) throw badRequest('message can\'t be edited: it is not a live location');
    if (!isLive(item, Date.now())) throw badRequest('message can\'t be edited: the live location was stopped or its live_period ended');
    return { chatId, item, place: item.place, live };
  };

  return {
    sendlocation: (p) => sendPlace(p, false),
    sendvenue: (p) => sendPlace(p, true),
    editmessagelivelocation: async (p) => {
      const { chatId, item, place, live } = ownLive(p);
      const at = position(p);
      const next = { ...place, ...at, live: { period: p.has('live_period') ? livePeriod(p) : live.period } };
      if (!p.has('horizontal_accuracy')) delete next.accuracy;
      if (!p.has('heading')) delete next.heading;
      const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
      if (JSON.stringify(next) === JSON.stringify(place) && JSON.stringify(item.replyMarkup) === JSON.stringify(replyMarkup)) throw NOT_MODIFIED();
      h.checkPending();
      await h.call(() => h.client.bots.movePlace(chatId, item.id, next, replyMarkup ? { replyMarkup } : {}));
      return objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
    },
    stopmessagelivelocation: async (p) => {
      const { chatId, item, place, live } = ownLive(p);
      const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
      h.checkPending();
      await h.call(() => h.client.bots.movePlace(chatId, item.id, { ...place, live: { ...live, stopped: true } }, replyMarkup ? { replyMarkup } : {}));
      return objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
    },
  };
}
