import { z } from 'zod';
import { ClientMsgId, DisplayName, Handle, Id, PublicKey, DeviceName } from './common.ts';
import { BlobId } from './files.ts';

// --- bot accounts (R90) ----------------------------------------------------------------------

/** R90: a bot's handle is a handle that ends in `bot` (like Telegram's). */
export const BotHandle = Handle.refine((h) => h.endsWith('bot'), 'a bot handle ends in "bot"');
/** R90: the longest bot description, in characters. */
export const MAX_BOT_DESCRIPTION_CHARS = 512;
/**
 * R90b: a bot token, `<bot user id>:<secret>`: shown once to the owner; the server keeps only its
 * sha256. Shaped like Telegram's so bot libraries take it as it is.
 */
export const BotToken = z.string().regex(/^[A-Za-z0-9_-]{8,64}:[A-Za-z0-9_-]{32,64}$/, 'a bot token: <id>:<secret>');

// --- the command menu (R108) -------------------------------------------------------------------

/** R108: the most commands a bot's menu holds (Telegram's setMyCommands limit). */
export const MAX_BOT_COMMANDS = 100;
/** R108: one entry of a bot's `/` menu: `command` as Telegram's BotCommand (1-32 of a-z 0-9 _), a description of 1-256 characters. */
export const BotCommand = z.object({
  command: z.string().regex(/^[a-z0-9_]{1,32}$/, 'a command is 1-32 of a-z, 0-9 and _'),
  description: z.string().trim().min(1).max(256),
});
export type BotCommand = z.infer<typeof BotCommand>;
export const BotCommands = z.array(BotCommand).max(MAX_BOT_COMMANDS)
  .refine((cs) => new Set(cs.map((c) => c.command)).size === cs.length, 'each command once');
/** PUT /bots/:botId/commands (the owner, or the bot itself) and GET /bots/:botId/commands (anyone signed in). */
export const BotCommandsBody = z.object({ commands: BotCommands });
export type BotCommandsBody = z.infer<typeof BotCommandsBody>;

/** POST /bots — the caller (a person, never a bot) creates a bot it owns. */
export const CreateBotRequest = z.object({
  handle: BotHandle,
  displayName: DisplayName,
  description: z.string().trim().max(MAX_BOT_DESCRIPTION_CHARS).optional(),
});
export type CreateBotRequest = z.infer<typeof CreateBotRequest>;

/** A bot as its owner sees it. `hasToken` is false after the token was revoked (until a rotation). */
export const BotInfo = z.object({
  userId: Id,
  handle: Handle,
  displayName: z.string(),
  description: z.string(),
  createdAt: z.number().int(),
  hasToken: z.boolean(),
  /** R108: the bot's command menu, as its owner or its gateway last set it. */
  commands: BotCommands,
  /** R105: privacy mode in groups (on by default). */
  groupPrivacy: z.boolean(),
  /** R143: the blob id of its avatar (GET /bots/:botId/avatar); absent: none. */
  avatar: BlobId.optional(),
});
export type BotInfo = z.infer<typeof BotInfo>;
export const BotCreated = z.object({ bot: BotInfo, token: BotToken });
export type BotCreated = z.infer<typeof BotCreated>;
export const BotListResponse = z.object({ bots: z.array(BotInfo) });
export type BotListResponse = z.infer<typeof BotListResponse>;
/** POST /bots/:botId/token — a new token; the old one and every device it registered stop working. */
export const BotTokenResponse = z.object({ token: BotToken });
export type BotTokenResponse = z.infer<typeof BotTokenResponse>;

/**
 * R90c: POST /bots/device — a bot gateway registers its device key with the bot's token (no
 * session); from then on it signs in with that key like any device (/auth/challenge, /auth/device).
 */
export const BotDeviceRequest = z.object({ token: BotToken, device: z.object({ name: DeviceName, publicKey: PublicKey }) });
export type BotDeviceRequest = z.infer<typeof BotDeviceRequest>;
export const BotDeviceResponse = z.object({ userId: Id, deviceId: Id });
export type BotDeviceResponse = z.infer<typeof BotDeviceResponse>;

/** R105: PUT /bots/:botId/privacy (the owner) turns privacy mode in groups on or off. */
export const BotPrivacyRequest = z.object({ groupPrivacy: z.boolean() });
export type BotPrivacyRequest = z.infer<typeof BotPrivacyRequest>;
/** R105: GET /bots/self — a bot's own device reads its settings (its gateway enforces privacy mode). */
export const BotSelfResponse = z.object({ userId: Id, groupPrivacy: z.boolean() });
export type BotSelfResponse = z.infer<typeof BotSelfResponse>;

// --- avatars (R143) ---------------------------------------------------------------------------

/** R143: the image types a bot's avatar may have (served as such, with nosniff). */
export const BOT_AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
/**
 * R143: PUT /bots/:botId/avatar (the owner): a complete upload of the owner's (public: not
 * encrypted, like a channel post's photo) becomes the bot's avatar, served as `mime`.
 */
export const BotAvatarRequest = z.object({ blobId: BlobId, mime: z.enum(BOT_AVATAR_TYPES) });
export type BotAvatarRequest = z.infer<typeof BotAvatarRequest>;

// --- inline keyboards and callbacks (R93) -----------------------------------------------------

/** R93: callback data is at most this many bytes (UTF-8), as in Telegram. */
export const MAX_CALLBACK_DATA_BYTES = 64;
/** R93: the most buttons in one inline keyboard, and in one of its rows. */
export const MAX_KEYBOARD_BUTTONS = 100;
export const MAX_KEYBOARD_ROW = 8;

export const CallbackData = z.string().min(1).refine((s) => new TextEncoder().encode(s).length <= MAX_CALLBACK_DATA_BYTES,
  `callback data is at most ${MAX_CALLBACK_DATA_BYTES} bytes`);

/** One inline button: it sends `callbackData` to the bot, or opens `url`; exactly one of them. */
export const InlineButton = z.object({
  text: z.string().min(1).max(64),
  callbackData: CallbackData.optional(),
  url: z.string().max(2048).refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL').optional(),
}).refine((b) => (b.callbackData === undefined) !== (b.url === undefined), 'a button has callbackData or url, one of them');
export type InlineButton = z.infer<typeof InlineButton>;

/** R93: buttons under a bot's message, row by row; travels inside the encrypted text (and edits). */
export const ReplyMarkup = z.object({
  inlineKeyboard: z.array(z.array(InlineButton).min(1).max(MAX_KEYBOARD_ROW)).min(1).max(MAX_KEYBOARD_BUTTONS)
    .refine((rows) => rows.flat().length <= MAX_KEYBOARD_BUTTONS, `at most ${MAX_KEYBOARD_BUTTONS} buttons`),
});
export type ReplyMarkup = z.infer<typeof ReplyMarkup>;

/**
 * R121: a bot's reply keyboard (Telegram's ReplyKeyboardMarkup): rows of text buttons shown in place
 * of (above) the message box; a press sends the button's text as an ordinary text. `remove` clears
 * the chat's keyboard (ReplyKeyboardRemove). Travels inside the encrypted text, like R93's.
 */
export const ReplyKeyboardButton = z.object({ text: z.string().min(1).max(64) });
/** R128: Telegram's `selective`: the keyboard (or its removal) is for these members only; others keep what they had. */
export const MAX_KEYBOARD_ONLY = 50;
const KeyboardOnly = z.array(Id).min(1).max(MAX_KEYBOARD_ONLY).optional();
export const ReplyKeyboard = z.union([
  z.object({
    rows: z.array(z.array(ReplyKeyboardButton).min(1).max(MAX_KEYBOARD_ROW)).min(1).max(MAX_KEYBOARD_BUTTONS)
      .refine((rows) => rows.flat().length <= MAX_KEYBOARD_BUTTONS, `at most ${MAX_KEYBOARD_BUTTONS} buttons`),
    resize: z.boolean().optional(),
    oneTime: z.boolean().optional(),
    placeholder: z.string().min(1).max(64).optional(),
    only: KeyboardOnly,
  }),
  z.object({ remove: z.literal(true), only: KeyboardOnly }),
]);
export type ReplyKeyboard = z.infer<typeof ReplyKeyboard>;
/**
 * R144: Telegram's force_reply: a bot's text asks the person's app to open a reply to it at once
 * (`placeholder` for the message box, 1-64 characters; `only`: R128's selective). Inside the
 * encrypted text; it changes no keyboard.
 */
export const ForceReply = z.object({ placeholder: z.string().min(1).max(64).optional(), only: KeyboardOnly });
export type ForceReply = z.infer<typeof ForceReply>;

/**
 * R93: a person pressed a button of message `target`: sent in the chat, end-to-end encrypted like a
 * message, read by the bot; `queryId` names the press for the bot's answer. Not shown as a line.
 */
export const CallbackContent = z.object({ kind: z.literal('callback'), target: ClientMsgId, queryId: Id, data: CallbackData });
export type CallbackContent = z.infer<typeof CallbackContent>;

/** R93: the bot's answer to a press (a short notice for the presser); not shown as a line. */
export const CallbackAnswerContent = z.object({
  kind: z.literal('callback_answer'),
  queryId: Id,
  text: z.string().max(200).optional(),
  showAlert: z.boolean().optional(),
});
export type CallbackAnswerContent = z.infer<typeof CallbackAnswerContent>;
