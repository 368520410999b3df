// grammY's echo bot, as its README writes it. The one change for Parley: `client.apiRoot` points at
// the bot gateway (`parley-bot-gateway --server URL --token TOKEN`), and the token is the Parley bot's.
import { Bot } from "grammy";

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.BOT_API_ROOT } });

bot.command("start", (ctx) => ctx.reply("Welcome! Up and running."));
bot.on("message:text", (ctx) => ctx.reply(ctx.message.text));

bot.start();
