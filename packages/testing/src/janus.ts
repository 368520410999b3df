import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './index.ts';

const JANUS_BIN = '/usr/bin/janus';
const LIB = '/usr/lib/x86_64-linux-gnu/janus';
const OTHER_PLUGINS = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'voicemail'];
const OTHER_TRANSPORTS = ['mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
const EVENT_HANDLERS = ['gelfevh', 'mqttevh', 'nanomsgevh', 'rabbitmqevh', 'sampleevh', 'wsevh'];

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

  static async start(): Promise<Janus> {
    if (!existsSync(JANUS_BIN)) {
      throw new Error(`${JANUS_BIN} is missing: group call tests need Debian's janus (apt-get install -y janus; .ci/run installs it)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'parley-janus-'));
    const [httpPort, adminPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    const adminSecret = randomBytes(18).toString('base64url');
    const roomAdminKey = randomBytes(18).toString('base64url');
    // Parallel tests each take a range of their own (coturn's tests use 20000-59999 too, in steps of 100).
    const rtpMin = 40_000 + Math.floor(Math.random() * 200) * 100;
    const list = (names: string[]) => names.map((n) => `libjanus_${n}.so`).join(',');
    writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${LIB}/plugins"
  transports_folder = "${LIB}/transports"
  events_folder = "${LIB}/events"
  loggers_folder = "${LIB}/loggers"
  debug_level = 3
  admin_secret = "${adminSecret}"
  token_auth = true
  session_timeout = 60
  server_name = "parley-test"
}
media: {
  rtp_port_range = "${rtpMin}-${rtpMin + 99}"
}
nat: {
  ice_ignore_list = "vmnet"
}
plugins: {
  disable = "${list(OTHER_PLUGINS)}"
}
transports: {
  disable = "${list(OTHER_TRANSPORTS)}"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
events: {
  broadcast = false
  disable = "${list(EVENT_HANDLERS)}"
}
`);
    writeFileSync(join(dir, 'janus.transport.http.jcfg'), `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_base_path = "/admin"
  admin_http = true
  admin_port = ${adminPort}
  admin_ip = "127.0.0.1"
  admin_https = false
}
cors: {
}
`);
    writeFileSync(join(dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "plain"
  ws = true
  ws_port = ${wsPort}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`);
    writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {
  admin_key = "${roomAdminKey}"
  lock_rtp_forward = true
}
`);
    const log: string[] = [];
    const child = spawn(JANUS_BIN, ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 200) log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const janus = new Janus(
      `http://127.0.0.1:${httpPort}/janus`, `ws://127.0.0.1:${wsPort}`, `http://127.0.0.1:${adminPort}/admin`,
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
    try {
      const [info, admin] = await Promise.all([
        fetch(`${this.url}/info`),
        fetch(this.adminUrl, { method: 'POST', body: JSON.stringify({ janus: 'ping', transaction: 'up', admin_secret: this.adminSecret }) }),
      ]);
      const ws = await canConnect(this.wsUrl);
      return info.ok && admin.ok && ws;
    } catch {
      return false;
    }
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

async function canConnect(url: string): Promise<boolean> {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'janus-protocol');
    ws.once('open', () => { ws.close(); resolve(true); });
    ws.once('error', () => resolve(false));
  });
}
