#!/usr/bin/env node
// Builds what `npm start` runs: the server and the CLI as JavaScript bundles (esbuild; the workspace
// packages and the pure-JavaScript npm dependencies inlined), and the web client (Vite,
// precompressed). Each target is built into a temporary directory and renamed into place, under a
// lock, so two processes starting from one checkout neither build twice nor read half a build.
//
//   node scripts/build/build.mjs [--force] [server|cli|web|sdk ...]   (default: server cli web, only what is stale)
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildState } from './freshness.mjs';
import { acquireLock } from './lock.mjs';
import { DEFAULT_TARGETS, root, STAMP, targets } from './targets.mjs';

const log = (line) => process.stderr.write(`parley build: ${line}\n`);

/**
 * npm packages the server bundle leaves in node_modules: native code (better-sqlite3 finds its .node
 * file beside itself, pg-native is optional), optional native speed-ups of ws, and pino (its
 * transports run worker threads from files of their own). Everything else is inlined: one file to
 * read and compile at start instead of some 1,200 (importing it: ~0.9 s of CPU → ~0.3 s here).
 */
const SERVER_EXTERNAL = ['better-sqlite3', 'pg-native', 'bufferutil', 'utf-8-validate', 'pino'];

/** CommonJS dependencies `require` node builtins, which an ES module bundle has no `require` for. */
const REQUIRE_BANNER = "import { createRequire as __parleyCreateRequire } from 'node:module'; const require = __parleyCreateRequire(import.meta.url);";

async function buildServer(outDir, base) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    absWorkingDir: base,
    // The server, and the operator commands (`npm run parley-admin`, apps/server/bin/parley-admin.mjs).
    entryPoints: { main: 'apps/server/src/main.ts', admin: 'apps/server/src/admin/main.ts' },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external: SERVER_EXTERNAL,
    banner: { js: REQUIRE_BANNER },
    logLevel: 'warning',
  });
  // storage/migrate.ts reads them beside itself (`new URL('./migrations/…', import.meta.url)`): beside the bundles now.
  cpSync(join(base, 'apps/server/src/storage/migrations'), join(outDir, 'migrations'), { recursive: true });
}

async function buildCli(outDir, base) {
  const esbuild = await import('esbuild');
  // One self-contained file: `parley --help` reads it instead of resolving hundreds of modules.
  await esbuild.build({
    absWorkingDir: base,
    entryPoints: { index: 'packages/cli/src/index.ts' },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // ws's optional native speed-ups; it works without them.
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: REQUIRE_BANNER },
    logLevel: 'warning',
  });
}

async function buildWeb(outDir, base) {
  const { build } = await import('vite');
  // apps/web/vite.config.ts precompresses (brotli, gzip) as the last step.
  await build({ root: join(base, 'apps/web'), configFile: join(base, 'apps/web/vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

async function buildSdk(outDir, base) {
  const { execFileSync } = await import('node:child_process');
  const tsc = join(base, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(base, 'scripts/build/tsconfig.sdk.json'), '--outDir', outDir], { stdio: 'inherit' });
  // tsc rewrites './x.ts' to './x.js' in the JavaScript only; declarations get the same, so a
  // consumer's TypeScript finds x.d.ts beside x.js.
  for (const file of walk(outDir).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/((?:from|import\()\s*['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2'));
  }
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const builders = { server: buildServer, cli: buildCli, web: buildWeb, sdk: buildSdk };

/** Builds `target` into a temporary sibling of its output directory, then swaps it in. */
async function buildTarget(target, base) {
  const out = join(base, target.out);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}-tmp-${process.pid}`);
  const old = join(dirname(out), `.${basename(out)}-old-${process.pid}`);
  const started = Date.now();
  // Under the lock no one else builds here: a leftover is from a build that was killed.
  for (const name of readdirSync(dirname(out))) {
    if (name.startsWith(`.${basename(out)}-tmp-`) || name.startsWith(`.${basename(out)}-old-`)) rmSync(join(dirname(out), name), { recursive: true, force: true });
  }
  mkdirSync(tmp, { recursive: true });
  try {
    await builders[target.name](tmp, base);
    // Sources changed during the build are newer than this, so the next start builds again.
    const stamp = join(tmp, STAMP);
    writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
    utimesSync(stamp, started / 1000, started / 1000);
    try {
      renameSync(out, old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  log(`${target.name} built in ${((Date.now() - started) / 1000).toFixed(1)} s (${target.out})`);
}

/**
 * Builds those of `names` that are missing or older than their sources (all of them with `force`).
 * Cheap when everything is fresh: a walk of modification times, no lock, no build tool loaded.
 * @param {Array<keyof typeof targets>} names
 * @param {{ force?: boolean, base?: string }} [opts]
 * @returns {Promise<string[]>} the targets built
 */
export async function ensureBuilt(names, opts = {}) {
  const base = opts.base ?? root;
  const wanted = names.map((n) => targets[n]);
  if (!opts.force && wanted.every((t) => buildState(t, base) === 'fresh')) return [];
  const release = await acquireLock(join(base, '.build-lock'), { onWait: () => log('waiting for another build of this checkout…') });
  try {
    const built = [];
    // Checked again under the lock: the process we waited for may have built them.
    for (const target of wanted) {
      const state = opts.force ? 'forced' : buildState(target, base);
      if (state === 'fresh') continue;
      log(`building ${target.name} (${state})…`);
      await buildTarget(target, base);
      built.push(target.name);
    }
    return built;
  } finally {
    release();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const names = args.filter((a) => !a.startsWith('--'));
  for (const n of names) if (!(n in targets)) throw new Error(`unknown build target ${n} (one of ${Object.keys(targets).join(', ')})`);
  const built = await ensureBuilt(names.length > 0 ? names : DEFAULT_TARGETS, { force });
  if (built.length === 0) log('up to date');
}
