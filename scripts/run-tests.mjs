#!/usr/bin/env node
// Runs every test file of the monorepo with Node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [--update-times] [--typecheck] [filter-substring...]
// --typecheck runs `npm run typecheck` beside the tests at the lowest CPU priority (~220 s of CPU that
// would otherwise come first or slow the lanes) and fails the run when it fails. PARLEY_TEST_CONCURRENCY sets how many files run at once (3),
// PARLEY_TEST_BROWSER_LANES how many of them may drive Chromium (2): scripts/test-lanes.mjs.
// Files start longest-first by scripts/test-times.json (seconds per file from an earlier run), so the
// lanes finish together instead of one long file starting last. At the end it prints the slowest
// files' wall times (all of them in test-artifacts/file-times.txt); --update-times writes those
// figures back into scripts/test-times.json (commit it when the suite's shape changes). A file that
// failed is run once more alone when time allows (see below), from its sources through tsx; the run
// names it as flaky. The files run as bundles (PARLEY_TEST_BUNDLE, below).
// --test-force-exit: a file whose test failed with clients still running ends when its tests end,
// instead of holding its lane until the 240 s timeout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleDir, bundleTests, removeBundles } from './test-bundle.mjs';
import { drivesBrowser, runInLanes } from './test-lanes.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps'];
const skip = new Set(['node_modules', 'dist', 'data', 'test-artifacts']);
const timesPath = join(root, 'scripts/test-times.json');
const tableDir = join(root, 'test-artifacts');
const tablePath = join(tableDir, 'file-times.txt');
/** A file not in test-times.json yet (new) is assumed about as long as others of its kind. */
const unknownSeconds = (f) => (/\.e2e\.tsx?$/.test(f) ? 90 : /\/test\//.test(f) ? 40 : 10);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(test|e2e)\.tsx?$/.test(name)) files.push(relative(root, path));
  }
}
for (const r of roots) walk(join(root, r));
const args = process.argv.slice(2);
const updateTimes = args.includes('--update-times');
const withTypecheck = args.includes('--typecheck');
const filters = args.filter((a) => a !== '--update-times' && a !== '--typecheck');
const concurrency = Math.max(1, Number(process.env.PARLEY_TEST_CONCURRENCY ?? 3) || 3);
const browserLanes = Math.max(1, Number(process.env.PARLEY_TEST_BROWSER_LANES ?? 2) || 2);
const known = existsSync(timesPath) ? JSON.parse(readFileSync(timesPath, 'utf8')) : {};
const estimate = (f) => (typeof known[f] === 'number' ? known[f] : unknownSeconds(f));
const selected = files
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => estimate(b) - estimate(a));
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
mkdirSync(tableDir, { recursive: true });
rmSync(tablePath, { force: true });
const started = Date.now();
/** The machine's CPU counters (/proc/stat, all cores): how busy the run kept it, printed at the end. */
function cpuTimes() {
  try {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), nice: f[1] ?? 0, idle: f[3] ?? 0, iowait: f[4] ?? 0 };
  } catch {
    return undefined;
  }
}
const cpuAtStart = cpuTimes();
/** The typecheck beside the tests: its output is kept and shown only when it fails. */
const typecheck = withTypecheck
  ? new Promise((resolve) => {
      // At the lowest CPU priority (nice 19): it takes ~220 s of CPU (ten tsc programs), which the test
      // lanes would otherwise give up on a 2-core machine; niced, it runs in the time they leave idle.
      const niced = existsSync('/usr/bin/nice');
      const child = spawn(niced ? '/usr/bin/nice' : 'npm', [...(niced ? ['-n', '19', 'npm'] : []), 'run', 'typecheck'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('close', (code) => resolve({ code: code ?? 1, out, seconds: (Date.now() - started) / 1000 }));
    })
  : Promise.resolve({ code: 0, out: '', seconds: 0 });
// The files run as bundles of themselves and the workspace sources they import (scripts/test-bundle.mjs):
// ~3 s less CPU per file than loading the sources through tsx. PARLEY_TEST_BUNDLE=0, or a bundle that
// does not build, runs them from sources through tsx instead (as `node --import tsx --test FILE` does).
let runFiles = selected;
let loader = ['--import', 'tsx'];
if (process.env.PARLEY_TEST_BUNDLE !== '0') {
  const bundleStarted = Date.now();
  try {
    runFiles = (await bundleTests(selected)).map((f) => relative(root, f));
    loader = ['--enable-source-maps'];
    console.log(`bundled ${selected.length} test file(s) in ${((Date.now() - bundleStarted) / 1000).toFixed(1)} s (${relative(root, bundleDir)})`);
  } catch (err) {
    console.log(`test bundles did not build, running from sources through tsx:\n${err.message ?? err}`);
  }
}
const result = {
  status: await runInLanes({
    files: runFiles, browser: selected.map((f) => drivesBrowser(root, f)), lanes: concurrency, browserLanes,
    nodeArgs: loader, root, tablePath, env: { ...process.env, NODE_ENV: 'test' },
  }),
};
removeBundles();
const wall = (Date.now() - started) / 1000;
if (existsSync(tablePath)) {
  const rows = readFileSync(tablePath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')).sort((a, b) => Number(b[0]) - Number(a[0]));
  const sum = rows.reduce((s, r) => s + Number(r[0]), 0);
  console.log(`\nwall time per test file, slowest first (top 40 of ${rows.length}; all in ${relative(root, tablePath)}):`);
  for (const [seconds, status, file] of rows.slice(0, 40)) console.log(`${seconds.padStart(7)} s  ${status}  ${file}`);
  console.log(`suite: ${wall.toFixed(0)} s wall, ${sum.toFixed(0)} s summed over files, ${selected.length} files`);
  // Whether a lane more would pay: the share of the machine's CPU time the tests left to the niced
  // typecheck (nice) or idle, and the part spent waiting for the disk (other processes count as busy).
  const cpuAtEnd = cpuTimes();
  if (cpuAtStart && cpuAtEnd && cpuAtEnd.total > cpuAtStart.total) {
    const d = (k) => cpuAtEnd[k] - cpuAtStart[k];
    const pct = (n) => `${((100 * n) / d('total')).toFixed(0)}%`;
    console.log(`machine CPU during the tests: ${pct(d('total') - d('nice') - d('idle') - d('iowait'))} busy, ${pct(d('nice'))} niced (typecheck), ${pct(d('idle'))} idle, ${pct(d('iowait'))} waiting for the disk`);
  }
  if (updateTimes && rows.length > 0) {
    const next = { ...known };
    for (const [seconds, , file] of rows) next[file] = Math.round(Number(seconds));
    for (const f of Object.keys(next)) if (!files.includes(f)) delete next[f];
    const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(timesPath, JSON.stringify(sorted, null, 2) + '\n');
    console.log(`wrote ${relative(root, timesPath)}`);
  }
}
// A file that failed is run once more, alone (nothing beside it), when the time allows: on this
// shared 2-core machine a browser or media test sometimes misses a wait under load. It passes the
// run only if it passes again; the run says which files needed it (test-artifacts/retried.txt), so
// a flaky file stays visible. PARLEY_TEST_RETRY_BUDGET_S (1600): no retry that could end past it;
// PARLEY_TEST_RETRY_MAX (5; three lanes load the machine more than two did): with more failed files than that, none is retried (that is no flake).
let status = result.status ?? 1;
const failedFiles = existsSync(tablePath)
  ? readFileSync(tablePath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')).filter((r) => r[1] === 'FAIL').map((r) => r[2])
  : [];
const retryBudget = Number(process.env.PARLEY_TEST_RETRY_BUDGET_S ?? 1600);
const retryMax = Number(process.env.PARLEY_TEST_RETRY_MAX ?? 5);
if (status !== 0 && failedFiles.length > 0 && failedFiles.length <= retryMax) {
  const needed = failedFiles.reduce((sum, f) => sum + estimate(f), 0);
  const spent = (Date.now() - started) / 1000;
  if (spent + needed > retryBudget) {
    console.log(`\nno retry: ${failedFiles.length} failed file(s) would need ~${needed.toFixed(0)} s after ${spent.toFixed(0)} s (budget ${retryBudget} s)`);
  } else {
    console.log(`\nretrying ${failedFiles.length} failed file(s) once, alone: ${failedFiles.join(', ')}`);
    const again = await new Promise((resolve) => {
      const child = spawn(process.execPath, [
        '--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=1', '--test-timeout=240000', '--test-reporter=spec', ...failedFiles,
      ], { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } });
      child.on('close', (code) => resolve(code ?? 1));
    });
    const retriedPath = join(tableDir, 'retried.txt');
    writeFileSync(retriedPath, failedFiles.map((f) => `${f}\t${again === 0 ? 'passed on retry' : 'failed again'}`).join('\n') + '\n');
    if (again === 0) {
      console.log(`\nRETRIED: ${failedFiles.length} file(s) failed beside the others and passed alone (flaky; in ${relative(root, retriedPath)}):`);
      for (const f of failedFiles) console.log(`  ${f}`);
      status = 0;
    } else {
      console.log('\nfailed again when run alone: a real failure');
    }
  }
}
const checked = await typecheck;
if (checked.code !== 0) {
  console.error(`\ntypecheck failed (npm run typecheck, beside the tests):\n${checked.out}`);
  process.exit(1);
}
if (withTypecheck) console.log(`typecheck passed (beside the tests, done ${checked.seconds.toFixed(0)} s after the start; the tests took ${wall.toFixed(0)} s)`);
process.exit(status);
