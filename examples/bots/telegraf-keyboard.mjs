// telegraf's inline keyboard example (telegraf/docs/examples/keyboard-bot). The one change for
// Parley: `telegram.apiRoot` is the bot gateway's.
import { Telegraf, Markup } from "telegraf";

const bot = new Telegraf(process.env.BOT_TOKEN, { telegram: { apiRoot: process.env.BOT_API_ROOT } });

bot.command("onetime", (ctx) =>
  ctx.reply("What do you want?", Markup.inlineKeyboard([
    Markup.button.callback("Coke", "Coke"),
    Markup.button.callback("Pepsi", "Pepsi"),
  ])),
);

bot.action(["Coke", "Pepsi"], async (ctx) => {
  await ctx.answerCbQuery(`Oh, ${ctx.match[0]}! Great choice`);
  await ctx.editMessageText(`🎉 Awesome! Enjoy your ${ctx.match[0]} 🎉`);
});

bot.launch();

process.once("SIGINT", () => bot.stop("SIGINT"));
process.once("SIGTERM", () => bot.stop("SIGTERM"));
