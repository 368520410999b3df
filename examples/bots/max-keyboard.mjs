// A @maxhub/max-bot-api bot with an inline keyboard, callback answers and edits, written with the
// framework's own helpers (Keyboard.inlineKeyboard, bot.action, ctx.answerOnCallback, ctx.editMessage).
// The one change for Parley: the API's base URL is the bot gateway's.
import { Bot, Keyboard } from '@maxhub/max-bot-api';

const bot = new Bot(process.env.BOT_TOKEN, { clientOptions: { baseUrl: process.env.BOT_API_ROOT } });

const keyboard = Keyboard.inlineKeyboard([
  [Keyboard.button.callback('Да', 'yes'), Keyboard.button.callback('Нет', 'no')],
  [Keyboard.button.link('Документация', 'https://dev.max.ru')],
]);

bot.command('start', (ctx) => ctx.reply('Вам нравится Max?', { attachments: [keyboard] }));

bot.action('yes', (ctx) => ctx.answerOnCallback({ notification: 'Отлично!', message: { text: 'Вы ответили: да' } }));

bot.action('no', async (ctx) => {
  await ctx.answerOnCallback({ notification: 'Жаль' });
  await ctx.editMessage({ text: 'Вы ответили: **нет**', format: 'markdown', attachments: [] });
});

bot.catch((err) => console.error('bot error', err));

bot.start();
