// A telegraf bot that sends a photo and a document, as telegraf's docs write it (InputFile:
// `{ source }` of a path or a buffer). The one change for Parley: `telegram.apiRoot` is the bot gateway's.
import { Telegraf } from "telegraf";
import { fileURLToPath } from "node:url";

const bot = new Telegraf(process.env.BOT_TOKEN, { telegram: { apiRoot: process.env.BOT_API_ROOT } });
bot.command("photo", (ctx) =>
  ctx.replyWithPhoto({ source: fileURLToPath(new URL("./assets/tram.png", import.meta.url)) }, { caption: "Tram 7" }),
);
bot.command("timetable", (ctx) =>
  ctx.replyWithDocument({ source: Buffer.from("07:10 07:40 08:10\n"), filename: "timetable.txt" }, { caption: "*Weekdays*", parse_mode: "MarkdownV2" }),
);
bot.launch();

// Enable graceful stop
process.once("SIGINT", () => bot.stop("SIGINT"));
process.once("SIGTERM", () => bot.stop("SIGTERM"));
