import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './index.ts';
import { JANUS_BIN, janusAnswers, janusConfigFiles } from '../../../scripts/janus-config.mjs';

/**
 * A private Janus (Debian's package, 1.1.x) for a test of group calls (R62), configured as
 * docs/OPERATIONS.md tells an operator to: stored-token auth on the public API (`token_auth`), the
 * admin API on loopback behind an admin secret, only the VideoRoom plugin (its room creation behind
 * an admin key), an RTP range of its own. Its config lives in a temp dir removed on close.
 */
export class Janus implements AsyncDisposable {
  private constructor(
    /** Public HTTP API, e.g. http://127.0.0.1:PORT/janus (what clients use, with a token). */
    readonly url: string,
    /** Public WebSocket API, ws://127.0.0.1:PORT (subprotocol `janus-protocol`). */
    readonly wsUrl: string,
    /** Admin API, http://127.0.0.1:PORT/admin (only the Parley server uses it). */
    readonly adminUrl: string,
    readonly adminSecret: string,
    /** The VideoRoom plugin's admin_key: rooms can be created only with it. */
    readonly roomAdminKey: string,
    readonly child: ChildProcess,
    private readonly dir: string,
    private readonly log: string[],
  ) {}

  /**
   * `ip`: where its public API listens (default loopback; a netns lab's host address for a browser in the lab).
   * ICE candidates: on that lab address, else on the default route's address only. Other tests' netns labs
   * come and go on this machine; a candidate on one of their veths could carry a call's media until that
   * lab is removed, and then every packet Janus sends on it fails (R123's simulcast test stalled so in CI).
   */
  static async start(options: { ip?: string } = {}): Promise<Janus> {
    const ip = options.ip ?? '127.0.0.1';
    const iceAddress = ip === '127.0.0.1' ? defaultRouteAddress() : ip;
    if (!existsSync(JANUS_BIN)) {
      throw new Error(`${JANUS_BIN} is missing: group call tests need Debian's janus (apt-get install -y janus; .ci/run installs it)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'parley-janus-'));
    const [httpPort, adminPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    const adminSecret = randomBytes(18).toString('base64url');
    const roomAdminKey = randomBytes(18).toString('base64url');
    // Parallel tests each take a range of their own (coturn's tests use 20000-59999 too, in steps of 100).
    const rtpMin = 40_000 + Math.floor(Math.random() * 200) * 100;
    const files = janusConfigFiles({ dir, ip, httpPort, adminPort, wsPort, adminSecret, roomAdminKey, rtpMin, rtpMax: rtpMin + 99, serverName: 'parley-test', ...(iceAddress ? { iceAddress } : {}) });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const log: string[] = [];
    const child = spawn(JANUS_BIN, ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 200) log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const janus = new Janus(
      `http://${ip}:${httpPort}/janus`, `ws://${ip}:${wsPort}`, `http://127.0.0.1:${adminPort}/admin`,
      adminSecret, roomAdminKey, child, dir, log,
    );
    const deadline = Date.now() + 15_000;
    while (!(await janus.#answers())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await janus.close();
        throw new Error(`janus did not start (exit ${child.exitCode}):\n${log.join('').slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return janus;
  }

  /** The last lines Janus logged (for a failing test's message). */
  get recentLog(): string {
    return this.log.join('').slice(-4000);
  }

  async #answers(): Promise<boolean> {
    return (await janusAnswers(this)) && (await canConnect(this.wsUrl));
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** This machine's IPv4 address on the interface of its default route (/proc/net/route), if it has one. */
function defaultRouteAddress(): string | undefined {
  let iface: string | undefined;
  try {
    iface = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
  } catch {
    return undefined;
  }
  return iface ? networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal)?.address : undefined;
}

async function canConnect(url: string): Promise<boolean> {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'janus-protocol');
    ws.once('open', () => { ws.close(); resolve(true); });
    ws.once('error', () => resolve(false));
  });
}
