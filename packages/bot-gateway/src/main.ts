import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BotToken } from '@parley/protocol';
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_UPDATES, startGateway } from './gateway.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from './http-server.ts';
import { DEFAULT_MAX_FILES } from './files/file-ids.ts';
import { DEFAULT_URL_MAX_REDIRECTS, DEFAULT_URL_TIMEOUT_MS } from './files/url-fetch.ts';

export const HELP = `parley-bot-gateway — runs a Telegram-API bot on Parley, end-to-end encrypted to you

Usage: parley-bot-gateway --server URL --token TOKEN [--listen 127.0.0.1:8081] [--data DIR]

  --server URL       the Parley server the bot lives on
  --token TOKEN      the bot's token (Parley: create a bot, it is shown once); also read from
                     PARLEY_BOT_TOKEN
  --listen HOST:PORT where the Bot API listens (default 127.0.0.1:8081): point the bot code's
                     API root at http://HOST:PORT and keep it on loopback
  --data DIR         the bot's device key, encryption state and id map (default ./parley-bot-data)
  --max-updates N    updates kept for getUpdates (default ${DEFAULT_MAX_UPDATES}); older are dropped
  --max-pending N    the bot's messages waiting for the server before sends answer 429 (default ${DEFAULT_MAX_PENDING})
  --max-upload-mb N  the largest file the bot may upload, in MiB (default ${DEFAULT_MAX_UPLOAD_BYTES / 1024 / 1024}); larger is 413
  --max-files N      files the gateway remembers (their keys, for downloads and sends by file id;
                     default ${DEFAULT_MAX_FILES}); past it the least recently used is forgotten
  --url-timeout-s N  a file the bot gives as an http(s) URL is fetched by the gateway within N s
                     (default ${DEFAULT_URL_TIMEOUT_MS / 1000}), at most --max-upload-mb
  --url-max-redirects N  redirects followed for such a URL (default ${DEFAULT_URL_MAX_REDIRECTS}), each checked
  --url-allow-private    let such URLs reach loopback, private and link-local addresses (refused by
                     default: the gateway must not fetch from the owner's network for the bot's
                     users); also PARLEY_BOT_GATEWAY_URL_ALLOW_PRIVATE=1
  --webhook-ca FILE  certificates (PEM) trusted for the bot's https webhook besides the system's:
                     its TLS proxy's self-signed or private CA's (telegraf and Max's library always
                     register an https URL); also PARLEY_BOT_GATEWAY_WEBHOOK_CA
`;

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      server: { type: 'string' }, token: { type: 'string' }, listen: { type: 'string' }, data: { type: 'string' },
      'max-updates': { type: 'string' }, 'max-pending': { type: 'string' }, 'max-upload-mb': { type: 'string' }, 'max-files': { type: 'string' }, help: { type: 'boolean' },
      'url-timeout-s': { type: 'string' }, 'url-max-redirects': { type: 'string' }, 'url-allow-private': { type: 'boolean' },
      'webhook-ca': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const token = values.token ?? process.env['PARLEY_BOT_TOKEN'];
  if (!values.server || !token) {
    process.stderr.write(HELP);
    return 2;
  }
  if (!BotToken.safeParse(token).success) {
    process.stderr.write('parley-bot-gateway: that is not a Parley bot token (<id>:<secret>)\n');
    return 2;
  }
  const listen = /^(.*):(\d+)$/.exec(values.listen ?? '127.0.0.1:8081');
  if (!listen) {
    process.stderr.write('parley-bot-gateway: --listen takes HOST:PORT\n');
    return 2;
  }
  const urlTimeoutS = Number(values['url-timeout-s'] ?? DEFAULT_URL_TIMEOUT_MS / 1000);
  const urlRedirects = Number(values['url-max-redirects'] ?? DEFAULT_URL_MAX_REDIRECTS);
  if (!(urlTimeoutS > 0) || !Number.isInteger(urlRedirects) || urlRedirects < 0) {
    process.stderr.write('parley-bot-gateway: --url-timeout-s takes a number of seconds above 0, --url-max-redirects a whole number from 0\n');
    return 2;
  }
  const caFile = values['webhook-ca'] ?? process.env['PARLEY_BOT_GATEWAY_WEBHOOK_CA'];
  let webhookCa: string | undefined;
  if (caFile) {
    try {
      webhookCa = readFileSync(caFile, 'utf8');
    } catch (err) {
      process.stderr.write(`parley-bot-gateway: --webhook-ca: cannot read ${caFile}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    if (!webhookCa.includes('-----BEGIN CERTIFICATE-----')) {
      process.stderr.write(`parley-bot-gateway: --webhook-ca: ${caFile} holds no PEM certificate\n`);
      return 2;
    }
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      server: values.server.replace(/\/$/, ''), token, dataDir: values.data ?? 'parley-bot-data',
      listen: { host: listen[1]!.replace(/^\[|\]$/g, ''), port: Number(listen[2]) },
      maxUpdates: Number(values['max-updates'] ?? DEFAULT_MAX_UPDATES), maxPending: Number(values['max-pending'] ?? DEFAULT_MAX_PENDING),
      maxUploadBytes: Math.round(Number(values['max-upload-mb'] ?? DEFAULT_MAX_UPLOAD_BYTES / 1024 / 1024) * 1024 * 1024),
      maxFiles: Number(values['max-files'] ?? DEFAULT_MAX_FILES),
      ...(webhookCa !== undefined ? { webhookCa } : {}),
      urlFetch: {
        timeoutMs: urlTimeoutS * 1000, maxRedirects: urlRedirects,
        allowPrivate: values['url-allow-private'] === true || process.env['PARLEY_BOT_GATEWAY_URL_ALLOW_PRIVATE'] === '1',
      },
    });
  } catch (err) {
    // A revoked token, an unreachable server, a port in use: say why, in one line.
    process.stderr.write(`parley-bot-gateway: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(`parley-bot-gateway: the Bot API of @${(await gateway.client.me()).user.handle} is at ${gateway.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.close();
  return 0;
}
