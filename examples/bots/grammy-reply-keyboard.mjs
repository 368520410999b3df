// A grammY bot with a custom (reply) keyboard, as grammY's docs write it
// (grammy.dev/plugins/keyboard, "Custom Keyboards"). The one change for Parley: `client.apiRoot`
// is the bot gateway's.
import { Bot, Keyboard } from "grammy";

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.BOT_API_ROOT } });

const keyboard = new Keyboard()
  .text("Yes, they certainly are").row()
  .text("I'm not quite sure").row()
  .text("No. 😈")
  .resized()
  .oneTime()
  .placeholder("Decide now!");

bot.command("start", async (ctx) => {
  await ctx.reply("Are cats cool?", { reply_markup: keyboard });
});

bot.hears("Yes, they certainly are", async (ctx) => {
  await ctx.reply("Right you are!", { reply_markup: { remove_keyboard: true } });
});

bot.hears("I'm not quite sure", async (ctx) => {
  await ctx.reply("Take your time.");
});

bot.hears("No. 😈", async (ctx) => {
  await ctx.reply("Well, that is your opinion.", { reply_markup: { remove_keyboard: true } });
});

bot.catch((err) => console.error("bot error", err.error));

bot.start();
