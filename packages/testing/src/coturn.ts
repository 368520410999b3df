import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { freePort } from './index.ts';

const TURNSERVER_BIN = '/usr/bin/turnserver';

export interface CoturnOptions {
  secret?: string;
  /** Where it listens and relays (default loopback; a netns-lab's HOST_IP for a browser in a namespace). */
  ip?: string;
  /** TURN over TLS (R65) on this port, e.g. 443, with this certificate and key (PEM files). */
  tls?: { port: number; cert: string; key: string };
}

/**
 * A private coturn (Debian's package) for tests of calls (R60): the TURN REST API's shared secret
 * (`use-auth-secret`), UDP and TCP on one free port, relays on loopback (peers on loopback
 * allowed: every test peer is on this machine) or on `ip`, TLS only when asked, no CLI, nothing on disk.
 */
export class Coturn implements AsyncDisposable {
  private constructor(readonly port: number, readonly secret: string, readonly child: ChildProcess, readonly ip: string, readonly tlsPort?: number) {}

  static async start(opts: CoturnOptions = {}): Promise<Coturn> {
    // Installed on first use as the browser tests install chromium (.ci/run installs it too).
    if (!existsSync(TURNSERVER_BIN)) execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn', { stdio: 'inherit' });
    const port = await freePort();
    const secret = opts.secret ?? randomBytes(24).toString('base64url');
    // A relay range of its own (tests in parallel each start one); coturn takes ports in it as it needs them.
    const minPort = 20_000 + Math.floor(Math.random() * 400) * 100;
    const ip = opts.ip ?? '127.0.0.1';
    const tls = opts.tls ? [`--tls-listening-port=${opts.tls.port}`, `--cert=${opts.tls.cert}`, `--pkey=${opts.tls.key}`] : ['--no-tls'];
    const child = spawn(TURNSERVER_BIN, [
      '-n', `--listening-ip=${ip}`, `--relay-ip=${ip}`, `--listening-port=${port}`, ...tls,
      '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=parley.test', '--no-cli', '--no-dtls',
      `--min-port=${minPort}`, `--max-port=${minPort + 99}`, '--allow-loopback-peers', '--log-file=stdout', '--simple-log',
    ], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port, ip)) || (opts.tls && !(await accepts(opts.tls.port, ip)))) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`turnserver did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return new Coturn(port, secret, child, ip, opts.tls?.port);
  }

  /** Its URLs for PARLEY_TURN_URLS: UDP and TCP, and TLS when it has a TLS port. */
  get urls(): string[] {
    const tls = this.tlsPort !== undefined ? [`turns:${this.ip}:${this.tlsPort}?transport=tcp`] : [];
    return [`turn:${this.ip}:${this.port}?transport=udp`, `turn:${this.ip}:${this.port}?transport=tcp`, ...tls];
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

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, host);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
