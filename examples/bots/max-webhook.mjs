// A @maxhub/max-bot-api bot on a webhook, written with the framework's own launcher
// (`bot.start({ mode: 'webhook', options: { domain, port, path, secret } })`: its standalone
// node:http server, which subscribes through POST /subscriptions; the library's readme has no
// webhook example). The one change for Parley: the API's base URL is the bot gateway's. The library
// subscribes https://<domain><path> and listens on plain http on `port`: a TLS proxy at `domain`
// forwards to it; give the gateway the proxy's certificate if it is self-signed (`--webhook-ca`).
import { Bot } from '@maxhub/max-bot-api';

const bot = new Bot(process.env.BOT_TOKEN, { clientOptions: { baseUrl: process.env.BOT_API_ROOT } });

bot.command('start', (ctx) => ctx.reply('Webhook-бот на связи'));
bot.on('message_created', (ctx) => ctx.reply(`Вы написали: ${ctx.message.body.text}`));

bot.start({
  mode: 'webhook',
  options: { domain: process.env.WEBHOOK_DOMAIN, port: Number(process.env.PORT), path: '/max-webhook', secret: process.env.WEBHOOK_SECRET },
});
