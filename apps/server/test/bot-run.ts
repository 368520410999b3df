import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type GatewayOptions, type RunningGateway } from '@parley/bot-gateway';
import type { TestUser } from '@parley/testing';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs one of examples/bots as its author would (`node bot.mjs`; a TypeScript one with tsx, as
 * `npx tsx bot.ts`), with the Parley token and the gateway as API root.
 */
export function runBot(file: string, env: { token: string; apiRoot: string; extra?: Record<string, string> }): ChildProcess & AsyncDisposable {
  const args = file.endsWith('.ts') ? ['--import', 'tsx', join(root, 'examples/bots', file)] : [join(root, 'examples/bots', file)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, BOT_TOKEN: env.token, BOT_API_ROOT: env.apiRoot, ...env.extra }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return Object.assign(child, {
    async [Symbol.asyncDispose]() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  });
}

/** A gateway on loopback port 0 with a temporary data dir, removed on close. */
export async function testGateway(serverUrl: string, token: string, opts: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
  const gw = await startGateway({ server: serverUrl, token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined, ...opts });
  const close = async () => {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { ...gw, close, [Symbol.asyncDispose]: close };
}

/**
 * An example bot up and talking: `owner` makes the bot, a gateway runs for it, the example file runs
 * against the gateway, and `person` opens the direct chat. Disposing stops the bot, then the gateway.
 */
export async function exampleBot(serverUrl: string, owner: TestUser, person: TestUser, bot: { handle: string; displayName: string; file: string }): Promise<{ botId: string; chatId: string } & AsyncDisposable> {
  const made = await owner.client.bots.create({ handle: bot.handle, displayName: bot.displayName });
  const gw = await testGateway(serverUrl, made.token);
  const child = runBot(bot.file, { token: made.token, apiRoot: gw.url });
  const { chatId } = await person.client.openDirect(made.bot.userId);
  return {
    botId: made.bot.userId, chatId,
    async [Symbol.asyncDispose]() {
      await child[Symbol.asyncDispose]();
      await gw.close();
    },
  };
}

/** What the bot wrote in the chat, as the person's device shows it. */
export const fromBot = (person: TestUser, chatId: string, botId: string) => person.client.timeline(chatId).filter((i) => i.senderUserId === botId && !i.system && !i.notice);
