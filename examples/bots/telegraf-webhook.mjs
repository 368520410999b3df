// telegraf's webhook bot, as its README writes it ("Production", "Webhooks": `bot.launch({ webhook })`).
// The one change for Parley: `telegram.apiRoot` is the bot gateway's. telegraf registers
// https://<domain><path> and listens on plain http on `port`: a TLS proxy at `domain` forwards to it,
// as for Telegram; give the gateway the proxy's certificate if it is self-signed (`--webhook-ca`).
import { Telegraf } from "telegraf";
import { message } from "telegraf/filters";

const { BOT_TOKEN: token, WEBHOOK_DOMAIN: webhookDomain, WEBHOOK_PATH: webhookPath, WEBHOOK_SECRET: randomAlphaNumericString } = process.env;
const port = Number(process.env.PORT);

const bot = new Telegraf(token, { telegram: { apiRoot: process.env.BOT_API_ROOT } });

bot.on(message("text"), ctx => ctx.reply("Hello"));

// Start webhook via launch method (preferred)
bot.launch({
  webhook: {
    // Public domain for webhook; e.g.: example.com
    domain: webhookDomain,

    // Port to listen on; e.g.: 8080
    port: port,

    // Optional path to listen for.
    // `bot.secretPathComponent()` will be used by default
    path: webhookPath,

    // Optional secret to be sent back in a header for security.
    // e.g.: `crypto.randomBytes(64).toString("hex")`
    secretToken: randomAlphaNumericString,
  },
});

// Enable graceful stop
process.once("SIGINT", () => bot.stop("SIGINT"));
process.once("SIGTERM", () => bot.stop("SIGTERM"));
