// Is a build older than its sources? Compares modification times: the newest input file against the
// stamp the build left (set to the moment that build started). A fresh clone's files all have the
// clone's time, so the build made by `npm ci` right after is newer than every one of them.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root, STAMP } from './targets.mjs';

const TEST_FILE = /\.(test|e2e|suite)\.tsx?$/;

/** Newest modification time (ms) among `path` and the files under it; tests excluded; 0 when absent. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs; // a deleted file shows only as its directory's change
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || TEST_FILE.test(entry.name)) continue;
    max = Math.max(max, newest(join(path, entry.name)));
  }
  return max;
}

/** @param {import('./targets.mjs').Target} target @returns {'fresh' | 'missing' | 'stale'} */
export function buildState(target, base = root) {
  let built;
  try {
    statSync(join(base, target.out, target.entry));
    built = statSync(join(base, target.out, STAMP)).mtimeMs;
  } catch {
    return 'missing';
  }
  const source = Math.max(...target.inputs.map((input) => newest(join(base, input))));
  return source > built ? 'stale' : 'fresh';
}
