// A grammY bot on a webhook (grammy.dev/guide/deployment-types, node:http). The one change for
// Parley: `client.apiRoot` is the bot gateway's, which POSTs the updates to WEBHOOK_URL.
import { createServer } from "node:http";
import { Bot, webhookCallback } from "grammy";

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.BOT_API_ROOT } });

bot.command("start", (ctx) => ctx.reply("Webhook bot here."));
bot.on("message:text", (ctx) => ctx.reply(`You said: ${ctx.message.text}`));

const secretToken = process.env.WEBHOOK_SECRET;
const server = createServer(webhookCallback(bot, "http", { secretToken }));
server.listen(Number(process.env.PORT), "127.0.0.1", async () => {
  await bot.api.setWebhook(process.env.WEBHOOK_URL, { secret_token: secretToken });
  console.log("webhook set");
});
