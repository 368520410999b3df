// node-telegram-bot-api (v2)'s uploads, examples/08-uploads.ts of its repository
// (github.com/yagop/node-telegram-bot-api) and its README's "Uploads": a document from in-memory
// bytes (its step 1, as written) and a photo from disk with `fromPath` (its step 5), each sent when
// the person asks (the example sends them once to CHAT_ID at start, and its other steps fetch files
// from the internet, which CI has not). The one change for Parley: `apiRoot` is the bot gateway's.
import { Bot, InputFile } from "node-telegram-bot-api";
import { fromPath, run } from "node-telegram-bot-api/node";
import { fileURLToPath } from "node:url";

const bot = new Bot(process.env.BOT_TOKEN, { apiRoot: process.env.BOT_API_ROOT });

bot.command("photo", async (ctx) => {
  // 5) A file from disk via `fromPath`.
  const local = await fromPath(fileURLToPath(new URL("./assets/tram.png", import.meta.url)));
  await bot.api.sendPhoto({ chat_id: ctx.chatId, photo: local });
});

bot.command("document", async (ctx) => {
  // 1) In-memory bytes → a tiny text document.
  const bytes = new TextEncoder().encode("hello from a Uint8Array\n");
  await bot.api.sendDocument({
    chat_id: ctx.chatId,
    document: new InputFile(bytes, { filename: "hello.txt", contentType: "text/plain" }),
    caption: "Sent from memory",
  });
});

bot.catch((err, ctx) => {
  console.error(`update for chat ${ctx.chatId} failed:`, err);
});

await run(bot);
