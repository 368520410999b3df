// Bundles test files for scripts/run-tests.mjs: every selected file with the workspace sources it
// imports (@parley/*, relative .ts), in one esbuild build with code splitting, so each source module is
// in exactly one chunk and a test process loads one copy of each (instanceof and module state hold as
// from sources). npm dependencies stay outside, loaded by Node as usual. Why: a test process that
// imports @parley/testing through tsx spent ~6 s of CPU loading ~750 modules through tsx's loader
// hooks; its bundle, loaded by plain Node, ~3 s (figures in scripts/README.md).
// Each source keeps its own import.meta.url/dirname/filename (written in as constants), so files
// found beside a source (migrations, fixtures, the web build) are found as from sources.
//   a/b/c.test.ts -> .build/tests/<pid of the run>/a/b/c.test.ts.mjs   (fromBundle() maps a bundle's name back)
// One directory per run, so two runs in one checkout do not replace each other's bundles.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const bundlesRoot = join(root, '.build/tests');
/** This run's bundles. */
export const bundleDir = join(bundlesRoot, String(process.pid));
const topModules = join(root, 'node_modules') + sep;

/** The test file (relative to the root) a bundle (absolute or relative path) was built from; itself when it is no bundle. */
export function fromBundle(file) {
  const abs = file.startsWith(sep) ? file : join(root, file);
  if (!abs.startsWith(bundlesRoot + sep) || !abs.endsWith('.mjs')) return file;
  return relative(bundlesRoot, abs).split(sep).slice(1).join(sep).slice(0, -'.mjs'.length);
}

/** npm packages stay external; a package found in a workspace's own node_modules (another version) by its path. */
const workspaceSourcesOnly = {
  name: 'workspace-sources-only',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData === 'inner' || args.path.startsWith('@parley/') || args.path.startsWith('node:')) return undefined;
      const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
      if (found.errors.length > 0 || found.path.startsWith(topModules) || !found.path.includes(`${sep}node_modules${sep}`)) {
        return { path: args.path, external: true };
      }
      return { path: found.path, external: true };
    });
    // The repository's own .mjs too (scripts/build/*.mjs): their root and "am I the program?" checks read import.meta.url.
    // `define` replaces the expressions only (not the words in a string); the source map goes along inline.
    build.onLoad({ filter: /\.(ts|tsx|mts|mjs|js)$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const loader = /\.m?js$/.test(args.path) ? 'js' : args.path.endsWith('x') ? 'tsx' : 'ts';
      if (!text.includes('import.meta.')) return { contents: text, loader };
      const { transform } = await import('esbuild');
      const out = await transform(text, {
        loader,
        format: 'esm',
        target: 'node20',
        jsx: 'automatic',
        sourcemap: 'inline',
        sourcefile: args.path,
        tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: true } },
        define: {
          'import.meta.url': JSON.stringify(pathToFileURL(args.path).href),
          'import.meta.dirname': JSON.stringify(dirname(args.path)),
          'import.meta.filename': JSON.stringify(args.path),
        },
      });
      return { contents: out.code, loader: 'js' };
    });
  },
};

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Removes this run's bundles. */
export function removeBundles() {
  rmSync(bundleDir, { recursive: true, force: true });
}

/**
 * Builds the bundles of `files` (paths relative to the root) into bundleDir.
 * @param {string[]} files @returns {Promise<string[]>} the bundles, in the order of `files`
 */
export async function bundleTests(files) {
  const { build } = await import('esbuild');
  mkdirSync(bundlesRoot, { recursive: true });
  // Bundles of earlier runs that ended without removing theirs (a run that was killed).
  for (const name of readdirSync(bundlesRoot, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
    if (!alive(Number(name))) rmSync(join(bundlesRoot, name), { recursive: true, force: true });
  }
  await build({
    absWorkingDir: root,
    entryPoints: files.map((f) => ({ in: f, out: f })),
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Error names and class names as in the sources (two modules' `class Foo` would otherwise be Foo and Foo2).
    keepNames: true,
    jsx: 'automatic',
    sourcemap: 'linked',
    plugins: [workspaceSourcesOnly],
    logLevel: 'silent',
  });
  return files.map((f) => join(bundleDir, `${f}.mjs`));
}
