// A grammY bot that sends a photo and a document and takes files, as grammY's docs write it
// (grammy.dev/guide/files). The one change for Parley: `client.apiRoot` (and the file download
// URL built from it) is the bot gateway's.
import { Bot, InputFile } from "grammy";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const apiRoot = process.env.BOT_API_ROOT;
const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot } });

bot.command("photo", async (ctx) => {
  // Send a file via local path.
  await ctx.replyWithPhoto(new InputFile(fileURLToPath(new URL("./assets/tram.png", import.meta.url))), {
    caption: "<b>Tram 7</b> at the depot",
    parse_mode: "HTML",
  });
});

bot.command("timetable", async (ctx) => {
  // Send a file from a buffer, with a file name.
  await ctx.replyWithDocument(new InputFile(Buffer.from("07:10 07:40 08:10\n"), "timetable.txt"));
});

bot.on(["message:photo", "message:document", "message:voice"], async (ctx) => {
  // Prepare the file for download: https://<api root>/file/bot<token>/<file_path>.
  const file = await ctx.getFile();
  const res = await fetch(`${apiRoot}/file/bot${bot.token}/${file.file_path}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await ctx.reply(`Got ${bytes.length} bytes, sha256 ${sha256}`);
  // Files the bot has seen can be sent again by their file_id.
  if (ctx.msg.photo) await ctx.replyWithPhoto(file.file_id, { caption: "Your photo, back" });
  else await ctx.replyWithDocument(file.file_id, { caption: "Your file, back" });
});

bot.catch((err) => console.error("bot error", err.error));

bot.start();
