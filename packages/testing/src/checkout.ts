import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo this file is in. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Checkout extends AsyncDisposable {
  dir: string;
}

/**
 * A fresh clone of this repository's HEAD (committed code, no build outputs) in a temp dir, for
 * tests of what a new operator gets. `npm ci` there would take minutes: its node_modules instead
 * links every installed package of this checkout, except the workspace packages, which point at the
 * clone's own. Undefined when this is not a git checkout.
 */
export function freshCheckout(): Checkout | undefined {
  if (!existsSync(join(repoRoot, '.git'))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'parley-checkout-'));
  execFileSync('git', ['clone', '--quiet', '--shared', repoRoot, dir]);
  const from = join(repoRoot, 'node_modules');
  const to = join(dir, 'node_modules');
  mkdirSync(to);
  for (const name of readdirSync(from)) {
    if (name === '.vite' || name === '.cache') continue;
    if (name === '@parley') {
      // Relative links (../../packages/…): in the clone they name the clone's packages.
      mkdirSync(join(to, name));
      for (const pkg of readdirSync(join(from, name))) symlinkSync(readlinkSync(join(from, name, pkg)), join(to, name, pkg));
    } else {
      symlinkSync(join(from, name), join(to, name));
    }
  }
  const dispose = async () => rmSync(dir, { recursive: true, force: true });
  return { dir, [Symbol.asyncDispose]: dispose };
}

export interface StartedProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the port from the server's "parley listening" log line. */
  listening: Promise<number>;
  /** SIGTERM to the process group (npm, its shell, node), resolves on exit. */
  stop(): Promise<void>;
}

/** Runs `command` in its own process group, capturing output; for a server, the port it listens on. */
export function startProcess(command: string, args: string[], opts: { cwd: string; env: Record<string, string> }): StartedProcess {
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"parley listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited (${code}) before listening:\n${err}`)));
  });
  listening.catch(() => {});
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    listening,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          /* gone already */
        }
      }
      await exited;
    },
  };
}
