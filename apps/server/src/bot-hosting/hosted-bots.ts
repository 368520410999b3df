import { join } from 'node:path';
import type { Logger } from 'pino';
import { startGateway, type RunningGateway } from '@parley/bot-gateway';
import type { HostedBotConfig } from '../config-types.ts';

export interface HostedBotsDeps {
  /** This server's own URL as seen from this process (the gateways are its clients, like anyone's). */
  server: string;
  /** The server's data dir: each bot's gateway keeps its device key, MLS state and ids in `hosted-bots/<bot id>/`. */
  dataDir: string;
  bots: readonly HostedBotConfig[];
  /** R129: records that the bot's gateway runs here, with this device (Bots.markHosted). */
  markHosted(botUserId: string, deviceId: string): Promise<void>;
  logger: Logger;
  /** A gateway that did not start is tried again after this long, doubling up to 5 minutes. */
  retryMs?: number;
}

export interface HostedBot {
  botUserId: string;
  /** The Bot API root the operator's bot code points at (Telegram's `/bot<token>/…` and Max's paths). */
  url: string;
}

export interface HostedBots {
  /** Settles once every hosted gateway started or failed its first try. */
  ready: Promise<void>;
  /** The gateways running now. */
  running(): HostedBot[];
  close(): Promise<void>;
}

const MAX_RETRY_MS = 300_000;

/**
 * R129: the bot gateways this server runs for bots its operator hosts (PARLEY_HOSTED_BOTS). Each is the
 * same gateway an owner runs (packages/bot-gateway), in this process: it registers a device with the
 * token, signs in over HTTP and WebSocket like any client, and holds the bot's MLS state under the
 * data dir, so the server's operator can read what the bot is sent (docs/ARCHITECTURE.md, "Bots").
 * A gateway that cannot start (revoked token, port in use) is logged and tried again; it never stops the server.
 */
export function startHostedBots(deps: HostedBotsDeps): HostedBots {
  const gateways = new Map<string, RunningGateway>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const start = async (bot: HostedBotConfig, delayMs: number): Promise<void> => {
    const botUserId = bot.token.slice(0, bot.token.indexOf(':'));
    const log = deps.logger.child({ part: 'hosted bot', botUserId });
    try {
      const gateway = await startGateway({
        server: deps.server, token: bot.token, listen: bot.listen, dataDir: join(deps.dataDir, 'hosted-bots', botUserId),
        log: (line) => log.info(line),
      });
      if (closed) {
        await gateway.close();
        return;
      }
      gateways.set(botUserId, gateway);
      await deps.markHosted(botUserId, gateway.client.deviceId);
      log.info({ url: gateway.url }, 'hosted bot gateway listening');
    } catch (err) {
      if (closed) return;
      // Never the token: only the bot's id and why.
      log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: delayMs }, 'hosted bot gateway did not start');
      const timer = setTimeout(() => {
        timers.delete(timer);
        void start(bot, Math.min(delayMs * 2, MAX_RETRY_MS));
      }, delayMs);
      timer.unref();
      timers.add(timer);
    }
  };
  const started = Promise.all(deps.bots.map((bot) => start(bot, deps.retryMs ?? 5000))).then(() => undefined);

  return {
    ready: started,
    running: () => [...gateways].map(([botUserId, g]) => ({ botUserId, url: g.url })),
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await started;
      await Promise.all([...gateways.values()].map((g) => g.close()));
      gateways.clear();
    },
  };
}
