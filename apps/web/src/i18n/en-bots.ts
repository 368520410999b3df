/**
 * English texts of bots (R90-R94, R108): Settings → Bots, the notice in a chat with a bot, its command
 * menu and inline buttons. Not spread into `en`: only the bots chunk imports them (apps/web/src/bots/
 * text.ts), so the chat screen's first load does not carry them (issue 15's size budget).
 */
export const enBots = {
  botsTitle: 'Bots',
  botsHelp: 'A bot is an account your software answers for. Create one here, then run the bot gateway with its token next to your bot code (Telegram bot libraries work unchanged).',
  botsNone: 'You have no bots yet.',
  botsNew: 'New bot',
  botName: 'Name',
  botHandle: 'Handle (ends in "bot")',
  botHandleBad: 'A bot handle is 3-32 letters a-z, digits or _, starts with a letter and ends in "bot".',
  botDescription: 'Description (optional)',
  botCreate: 'Create bot',
  botTokenOnce: 'The token of @{handle}. It is shown only now: copy it and keep it secret. Whoever has it can act as the bot.',
  botTokenRun: 'Run the gateway with it: npx parley-bot-gateway --server {server} --token TOKEN --listen 127.0.0.1:8081 --data ./bot-data',
  botTokenDone: 'I have saved it',
  botRotate: 'New token',
  botRotateConfirm: 'Issue a new token for @{handle}? The old token stops working and the running gateway is signed out.',
  botRevoke: 'Revoke token',
  botRevokeConfirm: 'Revoke the token of @{handle}? The gateway is signed out and no token works until you issue a new one.',
  botRevoked: 'No token (revoked)',
  botDelete: 'Delete bot',
  botDeleteConfirm: 'Delete @{handle}? Its token and devices go; its messages stay in chats and its handle stays taken.',
  botCommands: 'Commands',
  botCommandsHelp: 'Shown to people when they type / in a chat with the bot. One per line: command - description. The bot can also set them itself (setMyCommands).',
  botCommandsSave: 'Save commands',
  botCommandsSaved: 'Commands saved',
  botCommandsBad: 'Line {line}: write "command - description" (command: 1-32 of a-z, 0-9, _).',
  botBadge: 'bot',
  botNoticeOwner: 'This chat includes a bot ({name}). It can read what you send it. It runs on its owner\'s machine.',
  botAnswerOk: 'OK',
  botPressFailed: 'The button could not be pressed',
  botWaiting: 'Waiting for the bot…',
};
