// One build at a time per checkout: two nodes started together from one directory must not both
// write the same output. mkdir is atomic; the holder's pid is inside so a crashed holder's lock is
// taken over instead of waited on forever.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const POLL_MS = 100;
/** A lock directory without an owner file for this long belongs to a process that died between mkdir and write. */
const OWNERLESS_STALE_MS = 10_000;

function holderAlive(dir) {
  let owner;
  try {
    owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'));
  } catch {
    try {
      return Date.now() - statSync(dir).mtimeMs < OWNERLESS_STALE_MS;
    } catch {
      return false; // gone meanwhile
    }
  }
  if (owner.host !== hostname()) return true; // another machine sharing the checkout: cannot tell, wait
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Waits for and takes the lock at `dir`; returns its release. Gives up after `timeoutMs`.
 * @param {string} dir @param {{ timeoutMs?: number, onWait?: () => void }} [opts]
 */
export async function acquireLock(dir, opts = {}) {
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  let waited = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname() }));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (!holderAlive(dir)) {
      // Take it over by renaming it away first, so two waiters cannot both remove it and both "win".
      try {
        const away = `${dir}.stale-${process.pid}`;
        renameSync(dir, away);
        rmSync(away, { recursive: true, force: true });
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`build lock ${dir} still held after ${opts.timeoutMs ?? 600_000} ms`);
    if (!waited) opts.onWait?.();
    waited = true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
