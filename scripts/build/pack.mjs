#!/usr/bin/env node
// `npm pack` / `npm publish` of the SDK packages and the CLI (their prepack and postpack scripts).
// In this repository their package.json points at the TypeScript sources (tsx, Vite and tsc read
// them directly); a package someone installs needs JavaScript and declarations. prepack builds
// them into the package's dist/ and puts a package.json naming them in place for the tarball;
// postpack puts the repository's back.
//
//   node ../../scripts/build/pack.mjs prepack|postpack     (run in the package's directory)
import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from './build.mjs';
import { root, targets } from './targets.mjs';

const dir = process.cwd();
const manifestPath = join(dir, 'package.json');
const backup = join(dir, '.package.json.repo');

/** Dependencies a package's tarball carries as this repository has them (patched), not from the registry. */
const BUNDLED = { '@parley/client': ['ts-mls'] };

/** `./src/x.ts` → `./dist/x.js` (and `.d.ts` for types). */
const distPath = (src, ext) => src.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, ext);

function publishedManifest(pkg) {
  const out = { ...pkg };
  delete out.scripts;
  delete out.devDependencies;
  if (pkg.name === '@parley/cli') {
    // The CLI's bundle carries its dependencies (the SDK included): installing it fetches nothing else.
    out.exports = { '.': './dist/index.js' };
    out.files = ['bin', 'dist/index.js'];
    delete out.dependencies;
  } else {
    const exportsMap = typeof pkg.exports === 'string' ? { '.': pkg.exports } : pkg.exports;
    out.exports = Object.fromEntries(Object.entries(exportsMap).map(([key, src]) => [key, { types: distPath(src, '.d.ts'), default: distPath(src, '.js') }]));
    out.types = distPath(exportsMap['.'], '.d.ts');
    out.files = ['dist'];
  }
  return out;
}

async function prepack() {
  if (existsSync(backup)) throw new Error(`${backup} exists: a previous pack did not finish; put it back as package.json first`);
  const pkg = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (pkg.name === '@parley/cli') {
    await ensureBuilt(['cli']);
  } else {
    await ensureBuilt(['sdk']);
    const built = join(root, targets.sdk.out, pkg.name.replace('@parley/', ''), 'src');
    if (!existsSync(built)) throw new Error(`${pkg.name} is not one of the SDK packages the sdk build compiles`);
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    cpSync(built, join(dir, 'dist'), { recursive: true });
  }
  const published = publishedManifest(pkg);
  if (BUNDLED[pkg.name]) {
    // The SDK runs on the patched ts-mls (patches/, applied by patch-package here; ARCHITECTURE "ts-mls is
    // patched"): its state encoding and a module of its own need the patch, which an install from the
    // registry would not have. So the tarball carries this repository's patched copy (bundleDependencies).
    for (const dep of BUNDLED[pkg.name]) {
      const from = join(root, 'node_modules', dep);
      if (!existsSync(join(from, 'package.json'))) throw new Error(`${dep} is not installed at the repository's root`);
      const to = join(dir, 'node_modules', dep);
      if (existsSync(to)) throw new Error(`${to} exists: the pack would bundle it instead of the repository's patched copy`);
      cpSync(from, to, { recursive: true, dereference: true });
    }
    published.bundleDependencies = BUNDLED[pkg.name];
  }
  renameSync(manifestPath, backup);
  writeFileSync(manifestPath, `${JSON.stringify(published, null, 2)}\n`);
}

function postpack() {
  if (existsSync(backup)) {
    const pkg = JSON.parse(readFileSync(backup, 'utf8'));
    for (const dep of BUNDLED[pkg.name] ?? []) rmSync(join(dir, 'node_modules', dep), { recursive: true, force: true });
    renameSync(backup, manifestPath);
  }
}

const step = process.argv[2];
if (step === 'prepack') await prepack();
else if (step === 'postpack') postpack();
else throw new Error('usage: pack.mjs prepack|postpack');
