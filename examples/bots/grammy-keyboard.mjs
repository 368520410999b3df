// A grammY bot with an inline keyboard and callback answers, as grammY's docs write it
// (grammy.dev/plugins/keyboard). The one change for Parley: `client.apiRoot` is the bot gateway's.
import { Bot, InlineKeyboard } from "grammy";

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.BOT_API_ROOT } });

const keyboard = new InlineKeyboard()
  .text("« 1", "first")
  .text("‹ 3", "prev")
  .row()
  .url("Docs", "https://grammy.dev");

bot.command("start", async (ctx) => {
  await ctx.reply("Choose a page", { reply_markup: keyboard });
});

bot.callbackQuery("first", async (ctx) => {
  await ctx.answerCallbackQuery({ text: "Going to page 1" });
  await ctx.editMessageText("<b>Page 1</b> of 3", { parse_mode: "HTML" });
});

bot.callbackQuery("prev", async (ctx) => {
  await ctx.answerCallbackQuery();
  await ctx.editMessageText("Page 3 of 3", { reply_markup: new InlineKeyboard().text("« 1", "first") });
});

bot.on("callback_query:data", async (ctx) => {
  await ctx.answerCallbackQuery({ text: "Unknown button" });
});

bot.catch((err) => console.error("bot error", err.error));

bot.start();
