import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { freePort } from './index.ts';

const TURNSERVER_BIN = '/usr/bin/turnserver';

/**
 * A private coturn (Debian's package) on loopback for tests of calls (R60): the TURN REST API's
 * shared secret (`use-auth-secret`), UDP and TCP on one free port, relays on loopback (peers on
 * loopback allowed: every test peer is on this machine), no TLS, no CLI, nothing on disk.
 */
export class Coturn implements AsyncDisposable {
  private constructor(readonly port: number, readonly secret: string, readonly child: ChildProcess) {}

  static async start(opts: { secret?: string } = {}): Promise<Coturn> {
    // Installed on first use as the browser tests install chromium (.ci/run installs it too).
    if (!existsSync(TURNSERVER_BIN)) execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn', { stdio: 'inherit' });
    const port = await freePort();
    const secret = opts.secret ?? randomBytes(24).toString('base64url');
    // A relay range of its own (tests in parallel each start one); coturn takes ports in it as it needs them.
    const minPort = 20_000 + Math.floor(Math.random() * 400) * 100;
    const child = spawn(TURNSERVER_BIN, [
      '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
      '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=parley.test', '--no-cli', '--no-tls', '--no-dtls',
      `--min-port=${minPort}`, `--max-port=${minPort + 99}`, '--allow-loopback-peers', '--log-file=stdout', '--simple-log',
    ], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`turnserver did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return new Coturn(port, secret, child);
  }

  /** Its URLs for PARLEY_TURN_URLS: UDP and TCP. */
  get urls(): string[] {
    return [`turn:127.0.0.1:${this.port}?transport=udp`, `turn:127.0.0.1:${this.port}?transport=tcp`];
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await new Promise((r) => this.child.once('exit', r));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
