import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ParleyError, accounts, generateDeviceKey, isStoreSealError, parseMarkdown } from '@parley/client';
import type { Message } from '@parley/protocol';
import { FileStore } from './file-store.ts';
import { channelCommand } from './channel-commands.ts';
import { download, sendFiles } from './files-commands.ts';
import { itemJson } from './item-json.ts';
import { CliError, profileDir, writeProfile } from './profile.ts';
import { acknowledged, need, openClient, synced, until, withClient, type Out } from './run-client.ts';

export const HELP = `parley — command-line client for a Parley server

Usage: parley [--profile DIR] <command> [args]

  register --server URL --handle HANDLE [--name NAME]
                          create an account held by this profile's device key;
                          prints the one-time recovery code (keep it safe)
  whoami                  the profile's account and devices
  chats                   list chats (one JSON object per line)
  direct HANDLE           open (or create) the direct chat with HANDLE
  group NAME [HANDLE...]  create a group with these members
  send CHAT_ID TEXT       send a message and wait until the server acknowledged it
  send --to HANDLE TEXT   the same, into the direct chat with HANDLE
  send CHAT_ID [TEXT] --file PATH [--file PATH...]
                          send files (up to 10) with an optional caption: each is encrypted on
                          this device and uploaded resumably (progress on stderr; an upload
                          cut short resumes with the next command of this profile), then the
                          message is sent; prints it as JSON (with "attachments")
                          --markdown: TEXT is Markdown-like (**bold**, _italic_, ~~strike~~,
                          \`code\`, \`\`\`block\`\`\`, > quote, ||spoiler||, [text](https://…)) and is
                          sent formatted; without it TEXT is sent as is, plain
                          --no-forward-name: whoever forwards it leaves your name out (R49)
  receive [--follow] [--chat CHAT_ID]
                          print new messages since the last receive as JSON lines
                          ({chatId, seq, id, from, sentAt, text, entities?, ...}: entities are
                          the text's formatting, {type, offset, length, url?, language?} with
                          offset and length in UTF-16 code units; a message this device
                          can't read has "unreadable": {reason, detail?} instead of "text";
                          files are "attachments": [{index, name, mime, size, kind, blobId,
                          width?, height?, durationMs?}]); --follow keeps running
  download CHAT_ID MESSAGE_ID [--index N] [--out PATH] [--force]
                          fetch, decrypt and check attachment N (default 0) of a message; writes
                          it to PATH (a file, or a directory) or else under its sanitized name in
                          the current directory; never replaces a file without --force; a file
                          that fails its check is not kept ("file_damaged")
  history CHAT_ID         print every message this profile holds of the chat
  forward CHAT_ID MESSAGE_ID TARGET_CHAT_ID...
                          forward a message (R49: "forwarded" names its sender unless they asked
                          not to be named) into one or more chats
  pin CHAT_ID MESSAGE_ID [--off]
                          pin (or with --off unpin) a message (R50: in a group, admins and the
                          owner only)
  channel-join TOKEN      join a private channel by its invite link's token
  channel-read COMMUNITY_ID [--after SEQ]
                          print the posts of a private channel in wrapped mode (R141-R142) as
                          JSON lines {seq, epoch, text, date, authorId}; a post this device can't
                          open or whose signature fails is {seq, epoch, unreadable}
  channel-post COMMUNITY_ID TEXT
                          post in it (admins; a new epoch key first when a subscriber left)
  channel-wrap COMMUNITY_ID
                          wrap the current epoch key for subscriber devices without one (admins)
  devices                 list this account's devices
  revoke DEVICE_ID        sign a device out

Options:
  --profile DIR           profile directory (default $PARLEY_PROFILE or ~/.parley)
  -h, --help              this help

Environment:
  PARLEY_PROFILE          default profile directory
  PARLEY_STORE_PASSPHRASE the local store (messages, MLS keys) is encrypted at rest with a key in
                          <profile>/store-key.json; set this when that file is first made to derive
                          the key from a passphrase instead (then every run needs it)

Exit codes: 0 ok, 1 error (message on stderr; server errors show their code).`;

const options = {
  profile: { type: 'string' },
  server: { type: 'string' },
  handle: { type: 'string' },
  name: { type: 'string' },
  to: { type: 'string' },
  chat: { type: 'string' },
  follow: { type: 'boolean' },
  markdown: { type: 'boolean' },
  'no-forward-name': { type: 'boolean' },
  off: { type: 'boolean' },
  file: { type: 'string', multiple: true },
  index: { type: 'string' },
  out: { type: 'string' },
  after: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Ids (base64url) and message texts may begin with '-': node's parseArgs would read "-4xY…" as an
 * unknown option. Known options (and anything shaped like an option name, so a typo still fails
 * loudly) stay options; every other token is a positional, kept in order after '--'.
 */
export function optionsFirst(argv: readonly string[]): string[] {
  const opts: string[] = [];
  const pos: string[] = [];
  const shorts = new Set<string>(Object.values(options).flatMap((o) => ('short' in o ? [o.short] : [])));
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') { pos.push(...argv.slice(i + 1)); break; }
    const long = /^--([a-z][a-z-]*)(=.*)?$/.exec(t);
    if (long) {
      const spec = (options as Record<string, { type: string }>)[long[1]!];
      // As `--name=value`: parseArgs refuses a separate value that begins with a dash (a chat id may: 1 in 64).
      if (spec?.type === 'string' && long[2] === undefined && i + 1 < argv.length) opts.push(`${t}=${argv[++i]!}`);
      else opts.push(t);
    } else if (/^-[A-Za-z]$/.test(t) && shorts.has(t.slice(1))) opts.push(t);
    else pos.push(t);
  }
  return [...opts, '--', ...pos];
}

export async function main(argv: string[], out: Out = (l) => console.log(l), err: Out = (l) => console.error(l)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: optionsFirst(argv), options, allowPositionals: true });
  } catch (e) {
    err(`parley: ${(e as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) {
    out(HELP);
    return values.help ? 0 : 1;
  }
  const dir = profileDir(values.profile);
  try {
    switch (command) {
      case 'register': return await register(dir, values, out);
      case 'whoami': return await withClient(dir, async (c) => void out(JSON.stringify(await c.me())));
      case 'devices': return await withClient(dir, async (c) => (await c.me()).devices.forEach((d) => out(JSON.stringify(d))));
      case 'revoke': return await withClient(dir, async (c) => c.revokeDevice(need(args[0], 'DEVICE_ID')));
      case 'chats': return await withClient(dir, async (c) => {
        for (const chat of c.chats()) out(JSON.stringify({ chatId: chat.chatId, kind: chat.kind, title: chat.title, members: chat.members.map((m) => m.handle), lastSeq: chat.lastSeq, unread: chat.unread }));
      }, { sync: true });
      case 'direct': return await withClient(dir, async (c) => {
        const user = await c.findUser(need(args[0], 'HANDLE'));
        out(JSON.stringify(await c.openDirect(user.userId)));
      });
      case 'group': return await withClient(dir, async (c) => {
        const memberIds = await Promise.all(args.slice(1).map(async (h) => (await c.findUser(h)).userId));
        out(JSON.stringify(await c.createGroup({ name: need(args[0], 'NAME'), memberIds })));
      });
      case 'send': return await withClient(dir, async (c) => {
        const chatId = values.to ? (await c.openDirect((await c.findUser(values.to)).userId)).chatId : need(args.shift(), 'CHAT_ID');
        const text = args.join(' ');
        const message = values.markdown ? parseMarkdown(text) : { text, entities: [] };
        if (values.file?.length) return sendFiles(c, chatId, values.file, message, values['no-forward-name'] ?? false, out, err);
        if (!text) throw new CliError('nothing to send');
        const id = await c.sendText(chatId, message.text, { entities: message.entities, noForwardName: values['no-forward-name'] ?? false });
        await acknowledged(c, [id]);
        out(JSON.stringify({ chatId, id, seq: c.log(chatId).find((m) => m.clientMsgId === id)?.seq }));
      }, { sync: true });
      case 'forward': return await withClient(dir, async (c) => {
        const [chatId, messageId, ...targets] = [need(args[0], 'CHAT_ID'), need(args[1], 'MESSAGE_ID'), ...args.slice(2)];
        if (targets.length === 0) throw new CliError('missing TARGET_CHAT_ID');
        const ids = await c.forward(targets, chatId, messageId);
        await acknowledged(c, ids);
        targets.forEach((target, i) => out(JSON.stringify({ chatId: target, id: ids[i] })));
      }, { sync: true });
      case 'pin': return await withClient(dir, async (c) => {
        const chatId = need(args[0], 'CHAT_ID');
        const before = new Set(c.outbox().map((o) => o.clientMsgId));
        await c.pin(chatId, need(args[1], 'MESSAGE_ID'), !(values.off ?? false));
        await acknowledged(c, c.outbox().filter((o) => !before.has(o.clientMsgId)).map((o) => o.clientMsgId));
        out(JSON.stringify({ chatId, pinned: c.pinned(chatId).map((i) => i.id) }));
      }, { sync: true });
      case 'history': return await withClient(dir, async (c) => {
        const chatId = need(args[0], 'CHAT_ID');
        for (const item of c.timeline(chatId)) out(JSON.stringify(itemJson(item)));
      }, { sync: true });
      case 'receive': return await receive(dir, values.chat, values.follow ?? false, out);
      case 'download': return await withClient(dir, async (c) => {
        await download(c, need(args[0], 'CHAT_ID'), need(args[1], 'MESSAGE_ID'), { ...(values.index !== undefined ? { index: values.index } : {}), ...(values.out !== undefined ? { out: values.out } : {}), force: values.force ?? false }, out, err);
      }, { sync: true });
      case 'channel-join': case 'channel-read': case 'channel-post': case 'channel-wrap':
        return await withClient(dir, (c) => channelCommand(c, command, args, values.after, out));
      default:
        err(`parley: unknown command "${command}"\n\n${HELP}`);
        return 1;
    }
  } catch (e) {
    if (e instanceof ParleyError || isStoreSealError(e)) err(`parley: ${e.code}: ${e.message}`);
    else if (e instanceof CliError) err(`parley: ${e.message}`);
    else err(`parley: ${(e as Error).message}`);
    return 1;
  }
}

async function register(dir: string, values: { server?: string | undefined; handle?: string | undefined; name?: string | undefined }, out: Out): Promise<number> {
  const server = need(values.server, '--server URL').replace(/\/+$/, '');
  const handle = need(values.handle, '--handle HANDLE');
  const deviceKey = await generateDeviceKey({ extractable: true });
  const created = await accounts.createWithDeviceKey(server, { handle, displayName: values.name ?? handle, deviceName: 'parley-cli', deviceKey });
  await writeProfile(dir, { server, userId: created.userId, deviceId: created.deviceId, handle }, deviceKey);
  // Go online once: the device publishes its MLS key and uploads key packages, so others can add it
  // to end-to-end encrypted chats before it ever runs again.
  await withClient(dir, async (c) => {
    await until(() => c.keyPackages?.last !== undefined, 30_000, 'the key packages upload');
  });
  out(JSON.stringify({ userId: created.userId, deviceId: created.deviceId, handle, recoveryCode: created.recoveryCode }));
  return 0;
}

async function receive(dir: string, chatFilter: string | undefined, follow: boolean, out: Out): Promise<number> {
  const client = await openClient(dir);
  const store = new FileStore(join(dir, 'cursor.json'));
  const printed = new Map<string, number>(Object.entries(JSON.parse((await store.getMeta('printed')) ?? '{}') as Record<string, number>));
  const flush = async () => {
    for (const chat of client.chats()) {
      if (chatFilter && chat.chatId !== chatFilter) continue;
      const from = printed.get(chat.chatId) ?? 0;
      for (const item of client.timeline(chat.chatId)) {
        if (item.seq !== null && item.seq > from) out(JSON.stringify(itemJson(item)));
      }
      printed.set(chat.chatId, client.log(chat.chatId).at(-1)?.seq ?? from);
    }
    await store.setMeta('printed', JSON.stringify(Object.fromEntries(printed)));
  };
  await client.start();
  try {
    await synced(client);
    await flush();
    if (!follow) return 0;
    client.on('message', (_m: Message) => void flush());
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      client.on('revoked', resolve);
    });
    return 0;
  } finally {
    await client.stop();
  }
}
