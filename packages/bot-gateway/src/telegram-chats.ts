import { MAX_QUIZ_EXPLANATION } from '@parley/protocol';
import { ParseError, parseHtml } from './parse-mode.ts';
import { parseMarkdownV2 } from './markdown-v2.ts';
import type { Member, MessageEntity } from '@parley/protocol';
import type { ParleyClient } from '@parley/client';
import { badRequest } from './bot-api-error.ts';
import type { BotFiles } from './files/bot-files.ts';
import type { IdMap } from './id-map.ts';
import type { Params } from './params.ts';
import { fromTelegramMarkup, type TelegramObjects } from './telegram-objects.ts';
import { fromTelegramForceReply, fromTelegramReplyKeyboard } from './telegram-keyboards.ts';
import type { SendHelpers } from './telegram-files.ts';
import { pollObject } from './telegram-polls.ts';

type Obj = Record<string, unknown>;
type Method = (p: Params) => Promise<unknown>;

export interface ChatMethodsDeps {
  client: ParleyClient;
  objects: TelegramObjects;
  ids: IdMap;
  files: BotFiles;
}

const STATUS: Record<Member['role'], string> = { owner: 'creator', admin: 'administrator', member: 'member' };

/**
 * R106: the chat methods of the Telegram facade. What they tell of a chat's members is what the bot's
 * device holds as a member (the chat's summary: handles only where a member may see them, R72);
 * banChatMember removes the member from the group (the server checks the bot's rights, R7/R80);
 * forwardMessage and copyMessage send again, end-to-end encrypted for the target chat, files re-shared (R54).
 */
export function telegramChatMethods(h: SendHelpers, d: ChatMethodsDeps): Record<string, Method> {
  const { client, objects } = d;
  const chatOf = (p: Params) => {
    const chatId = objects.chatIdOf(p.int('chat_id'));
    return { chatId, view: client.chat(chatId)! };
  };
  const userOf = (p: Params) => {
    const userId = d.ids.parley('user', p.int('user_id'));
    if (!userId) throw badRequest('user not found');
    return userId;
  };
  const member = async (m: Member): Promise<Obj> => ({
    status: STATUS[m.role], user: await objects.user(m.userId),
    ...(m.role === 'admin' ? { can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true, can_restrict_members: true, can_promote_members: false, can_change_info: true, can_invite_users: true } : {}),
    ...(m.role === 'owner' ? { is_anonymous: false } : {}),
  });
  /** The source message (chat, item) that from_chat_id and message_id name, as the bot's device holds it. */
  const source = (p: Params) => {
    const fromChat = objects.chatIdOf(p.int('from_chat_id'));
    const target = objects.message(p.int('message_id'), fromChat);
    const item = target && client.timeline(fromChat).find((i) => i.id === target.clientMsgId);
    if (!item || item.deleted || item.system || item.notice || (!item.text && !item.attachments?.length)) throw badRequest('message to forward not found');
    return { fromChat, item };
  };

  return {
    getchat: async (p) => {
      const { view } = chatOf(p);
      return { ...(await objects.chat(view)), accent_color_id: 0, max_reaction_count: 11, ...(view.kind !== 'direct' ? { permissions: { can_send_messages: true } } : {}) };
    },
    getchatmembercount: async (p) => chatOf(p).view.members.length,
    getchatadministrators: async (p) => Promise.all(chatOf(p).view.members.filter((m) => m.role !== 'member').map(member)),
    getchatmember: async (p) => {
      const { view } = chatOf(p);
      const userId = userOf(p);
      const m = view.members.find((x) => x.userId === userId);
      return m ? member(m) : { status: 'left', user: await objects.user(userId) };
    },
    banchatmember: async (p) => {
      const { chatId, view } = chatOf(p);
      if (view.kind === 'direct') throw badRequest('can\'t remove chat owner: this is a private chat');
      const userId = userOf(p);
      if (!view.members.some((m) => m.userId === userId)) return true;
      await h.call(() => client.removeMember(chatId, userId)).catch((err: unknown) => {
        if (err instanceof Error && /Forbidden/.test(err.message)) throw badRequest('not enough rights to restrict/ban chat member');
        throw err;
      });
      return true;
    },
    // Parley's groups keep no ban list: a removed member can be added again; so there is nothing to lift.
    unbanchatmember: async (p) => {
      chatOf(p);
      userOf(p);
      return true;
    },
    forwardmessage: async (p) => {
      const { chatId } = chatOf(p);
      const { fromChat, item } = source(p);
      h.checkPending();
      const [id] = await h.call(() => client.forward([chatId], fromChat, item.id));
      return objects.messageFrom(chatId, { id: id!, senderUserId: objects.botUserId, sentAt: Date.now(), text: item.text, entities: item.entities, attachments: item.attachments }, { forward_origin: { type: 'user', sender_user: await objects.user(item.senderUserId), date: Math.floor(item.sentAt / 1000) } });
    },
    copymessage: async (p) => {
      const { chatId } = chatOf(p);
      const { item } = source(p);
      h.checkPending();
      const caption = p.has('caption') ? h.text(p, 'caption') : { text: item.text, entities: [...(item.entities ?? [])] };
      const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
      const replyKeyboard = fromTelegramReplyKeyboard(p.json('reply_markup')); // R121, on files too (R128)
      const forceReply = fromTelegramForceReply(p.json('reply_markup')); // R144, on files too (R150)
      const replyTo = h.replyTo(p, chatId);
      const opts = { ...(replyMarkup ? { replyMarkup } : {}), ...(replyKeyboard ? { replyKeyboard } : {}), ...(forceReply ? { forceReply } : {}), ...(replyTo ? { replyTo } : {}), ...(caption.entities.length ? { entities: caption.entities } : {}) };
      const id = item.attachments?.length
        ? await h.call(() => d.files.resend(chatId, d.files.ids.remember(item.attachments!), { text: caption.text, ...opts }))
        : await h.call(() => client.bots.sendText(chatId, caption.text, opts));
      return { message_id: objects.messageId(chatId, id) };
    },
    setmessagereaction: async (p) => {
      const { chatId } = chatOf(p);
      const target = objects.message(p.int('message_id'), chatId);
      const item = target && client.timeline(chatId).find((i) => i.id === target.clientMsgId);
      if (!item || item.deleted) throw badRequest('message to react not found');
      const raw = p.has('reaction') ? p.json('reaction') : [];
      if (!Array.isArray(raw)) throw badRequest('reaction must be an Array of ReactionType');
      const wanted = raw.map((r: unknown) => {
        const o = (r ?? {}) as Obj;
        if (o['type'] !== 'emoji' || typeof o['emoji'] !== 'string' || o['emoji'] === '') throw badRequest('REACTION_INVALID: the Parley gateway takes emoji reactions');
        return o['emoji'];
      });
      const had = item.reactions.filter((r) => r.userIds.includes(objects.botUserId)).map((r) => r.emoji);
      for (const emoji of had.filter((e) => !wanted.includes(e))) await h.call(() => client.react(chatId, item.id, emoji, false));
      for (const emoji of wanted.filter((e) => !had.includes(e))) await h.call(() => client.react(chatId, item.id, emoji, true));
      return true;
    },
    sendpoll: async (p) => {
      const { chatId } = chatOf(p);
      h.checkPending();
      const type = p.optStr('type') ?? 'regular';
      if (type !== 'regular' && type !== 'quiz') throw badRequest('poll type must be "regular" or "quiz"');
      const raw = p.json('options');
      if (!Array.isArray(raw)) throw badRequest('options must be an Array');
      const options = raw.map((o: unknown) => (typeof o === 'string' ? o : typeof (o as Obj | null)?.['text'] === 'string' ? String((o as Obj)['text']) : ''));
      const question = p.str('question');
      const anonymous = p.has('is_anonymous') ? p.bool('is_anonymous') : true;
      const multiple = p.bool('allows_multiple_answers');
      const closeDate = p.optInt('close_date');
      const openPeriod = p.optInt('open_period');
      const closesAt = closeDate !== undefined ? closeDate * 1000 : openPeriod !== undefined ? Date.now() + openPeriod * 1000 : undefined;
      const quiz = type === 'quiz' ? quizOf(p, options.length) : undefined; // R151
      if (quiz && multiple) throw badRequest('QUIZ_MULTIPLE_INVALID: a quiz takes one answer');
      const sentAt = Date.now();
      const id = await h.call(() => client.polls.create(chatId, { question, options, anonymous, multiple, ...(closesAt !== undefined ? { closesAt } : {}), ...(quiz ? { quiz } : {}) }));
      const item = client.timeline(chatId).find((i) => i.id === id);
      return {
        message_id: objects.messageId(chatId, id), from: await objects.user(objects.botUserId), chat: await objects.chat(client.chat(chatId)!), date: Math.floor(sentAt / 1000),
        poll: item && pollObject(objects, chatId, item),
      };
    },
    stoppoll: async (p) => {
      // R87's early close of the bot's poll; answers the Poll as it stands, closed.
      const { chatId } = chatOf(p);
      const target = objects.message(p.int('message_id'), chatId);
      const item = target && client.timeline(chatId).find((i) => i.id === target.clientMsgId);
      if (!item?.poll || item.deleted) throw badRequest('message with poll to stop not found');
      if (item.senderUserId !== objects.botUserId) throw badRequest('poll can\'t be stopped');
      if (item.poll.closedAt !== undefined) throw badRequest('poll has already been closed');
      h.checkPending();
      await h.call(() => client.polls.close(chatId, item.id));
      const now = client.timeline(chatId).find((i) => i.id === item.id);
      return now && { ...pollObject(objects, chatId, now), is_closed: true };
    },
  };
}

/**
 * R151: a quiz's right option (Bot API 9's `correct_option_ids` with one id, or the older
 * `correct_option_id`; required, as Telegram) and its explanation, with its formatting when
 * `explanation_parse_mode` is given (`explanation_entities` are ignored, as `entities` are).
 */
function quizOf(p: Params, optionCount: number): { correct: number; explanation?: string; explanationEntities?: MessageEntity[] } {
  const ids = p.has('correct_option_ids') ? p.json('correct_option_ids') : undefined;
  if (ids !== undefined && (!Array.isArray(ids) || ids.some((i) => !Number.isInteger(i)))) throw badRequest('correct_option_ids must be an Array of Integer');
  if (Array.isArray(ids) && ids.length > 1) throw badRequest('QUIZ_CORRECT_ANSWERS_TOO_MUCH: a quiz has one right option on Parley (docs/BOTS.md)');
  const correct = Array.isArray(ids) && ids.length === 1 ? Number(ids[0]) : p.optInt('correct_option_id');
  if (correct === undefined) throw badRequest('QUIZ_CORRECT_ANSWERS_EMPTY: a quiz needs correct_option_ids');
  if (correct < 0 || correct >= optionCount) throw badRequest('QUIZ_CORRECT_ANSWER_INVALID: correct_option_id must name one of the options');
  const raw = p.optStr('explanation');
  if (raw === undefined || raw.trim() === '') return { correct };
  const parsed = p.has('explanation_parse_mode') ? explanationText(p) : { text: raw, entities: [] };
  const { text, entities } = trimmed(parsed.text, parsed.entities);
  if (text.length > MAX_QUIZ_EXPLANATION) throw badRequest(`explanation is too long: at most ${MAX_QUIZ_EXPLANATION} characters`);
  if (text === '') return { correct };
  return { correct, explanation: text, ...(entities.length > 0 ? { explanationEntities: entities } : {}) };
}

function explanationText(p: Params): { text: string; entities: MessageEntity[] } {
  const mode = p.str('explanation_parse_mode');
  try {
    if (mode === 'HTML' || mode.toLowerCase() === 'html') return parseHtml(p.str('explanation'));
    if (mode === 'MarkdownV2') return parseMarkdownV2(p.str('explanation'));
    throw badRequest(`unsupported explanation_parse_mode ${mode}: the Parley gateway takes HTML and MarkdownV2 (docs/BOTS.md)`);
  } catch (err) {
    if (err instanceof ParseError) throw badRequest(`can't parse explanation entities: ${err.message}`);
    throw err;
  }
}

/** The text without its outer white space (the quiz's schema trims it), its entities moved and clipped to match. */
export function trimmed(text: string, entities: readonly MessageEntity[]): { text: string; entities: MessageEntity[] } {
  const start = text.length - text.trimStart().length;
  const out = text.trim();
  const kept = entities.flatMap((e) => {
    const from = Math.max(0, e.offset - start);
    const to = Math.min(out.length, e.offset + e.length - start);
    return to > from ? [{ ...e, offset: from, length: to - from }] : [];
  });
  return { text: out, entities: kept };
}
