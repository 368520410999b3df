import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes the list of built files into dist/sw.js (replacing its placeholders), so the service
 * worker precaches the whole shell at install and each release gets a new worker and cache.
 */
function precacheServiceWorker(): Plugin {
  let outDir = '';
  let publicDir = '';
  let built: string[] = [];
  return {
    name: 'parley-precache-sw',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      publicDir = config.publicDir;
    },
    generateBundle(_options, bundle) {
      built = Object.keys(bundle).filter((f) => !f.endsWith('.map') && !f.startsWith('.vite/'));
    },
    closeBundle() {
      // A chunk Vite drops after this plugin saw it (a pure-CSS chunk) is not on disk: a worker that
      // precached it would never install.
      built = built.filter((f) => existsSync(join(outDir, f)));
      const fromPublic = readdirSync(publicDir).filter((f) => f !== 'sw.js');
      const files = ['/', ...[...new Set(['index.html', ...built, ...fromPublic])].sort().map((f) => `/${f}`)];
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const path = join(outDir, 'sw.js');
      const source = readFileSync(path, 'utf8');
      const out = source
        .replace(/\/\* __PARLEY_PRECACHE__ \*\/ \[[^\]]*\]/, JSON.stringify(files))
        .replace(/\/\* __PARLEY_VERSION__ \*\/ '[^']*'/, JSON.stringify(version));
      if (out === source) throw new Error('sw.js: precache placeholders not found');
      writeFileSync(path, out);
    },
  };
}

/** Text-like files worth compressing; images other than SVG already are. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt|map)$/;

/**
 * Writes `name.br` and `name.gz` beside every compressible file of the build, at the highest levels
 * (paid once here, not per request): the server sends them by Accept-Encoding. Runs last, after the
 * service worker got its file list. PARLEY_PRECOMPRESS=0 skips it (~2-3 s; bench/startup.ts uses it
 * to time the web build as it was before).
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'parley-precompress',
    apply: (_config, { command }) => command === 'build' && process.env['PARLEY_PRECOMPRESS'] !== '0',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        const walk = (dir: string): string[] =>
          readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
        for (const file of walk(outDir)) {
          if (!COMPRESSIBLE.test(file) || statSync(file).size < 256) continue;
          const data = readFileSync(file);
          const br = brotliCompressSync(data, {
            params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length },
          });
          const gz = gzipSync(data, { level: 9 });
          // A variant no smaller than the file would only cost the client a decode.
          if (br.length < data.length) writeFileSync(`${file}.br`, br);
          if (gz.length < data.length) writeFileSync(`${file}.gz`, gz);
        }
      },
    },
  };
}

/**
 * Leaves zod's JSON Schema generator out of the web build (~15 KB gzipped of the chat screen).
 * zod's classic schemas reference it from every constructor (`.toJSONSchema()`), so tree-shaking
 * can't drop it; nothing in the web client or the SDK asks a schema for JSON Schema. Imports of
 * `to-json-schema.js` and `json-schema-processors.js` inside zod get a stand-in module: the one
 * helper a schema's getters use (`aggregateChecks`: `.minLength`, `.format`…) comes from the real
 * module (tree-shaking keeps only it), every other export throws `zod_json_schema_not_in_web_build`
 * if called. The server and the SDK under Node keep the real modules.
 */
function zodWithoutJsonSchema(): Plugin {
  const STUB = '\0parley-zod-json-schema:';
  const KEEP = new Set(['aggregateChecks']);
  const thrower = `() => { throw new Error('zod_json_schema_not_in_web_build'); }`;
  return {
    name: 'parley-zod-without-json-schema',
    apply: 'build',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!importer || importer.startsWith(STUB) || !/[\\/]zod[\\/]v4[\\/]/.test(importer)) return null;
      if (!/(^|\/)(to-json-schema|json-schema-processors)\.js$/.test(source)) return null;
      const real = await this.resolve(source, importer, { skipSelf: true });
      return real ? STUB + real.id : null;
    },
    load(id) {
      if (!id.startsWith(STUB)) return null;
      const real = id.slice(STUB.length);
      const source = readFileSync(real, 'utf8');
      const names = new Set<string>();
      for (const m of source.matchAll(/^export (?:const|function|class|let) (\w+)/gm)) names.add(m[1]!);
      for (const m of source.matchAll(/^export \{([^}]*)\}/gm)) for (const part of m[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/).pop();
        if (name) names.add(name);
      }
      // One thrower shared by every stand-in (a function each cost the chat screen ~0.7 KiB gzipped).
      const kept = [...names].filter((name) => KEEP.has(name));
      const methods = [...names].filter((name) => !KEEP.has(name) && /^create\w*Method$/.test(name));
      const rest = [...names].filter((name) => !KEEP.has(name) && !/^create\w*Method$/.test(name));
      return [
        ...kept.map((name) => `export { ${name} } from ${JSON.stringify(real)};`),
        `const thrower = ${thrower};`,
        'const method = () => thrower;',
        `export { ${[...methods.map((n) => `method as ${n}`), ...rest.map((n) => `thrower as ${n}`)].join(', ')} };`,
      ].join('\n');
    },
  };
}

/**
 * ts-mls imports each optional suite's package dynamically (`await import(...)` inside a try: a
 * missing one becomes its "not installed" error). The MLS worker is one classic script, so those
 * imports are inlined and run at its start, and Vite's stand-in for a missing optional peer throws
 * when evaluated: every start logged an uncaught "Could not resolve @hpke/chacha20poly1305", and the
 * modules after it in the script (X-Wing's) were never initialised. The web client uses suite 1
 * only (X25519, AES-128-GCM, Ed25519 by Web Crypto), so each of those dynamic imports resolves to an
 * empty module here (static imports, such as the AES-GCM the call worker uses, are untouched): their
 * code stays out of the workers, and ts-mls reports such a suite as not installed when asked for it,
 * as it does where the package is missing.
 */
const UNUSED_SUITE_PACKAGES = /^@hpke\/(chacha20poly1305|dhkem-x448|ml-kem|hybridkem-x-wing)$|^@noble\/(curves|post-quantum|ciphers)\//;
function withoutOptionalSuites(): Plugin {
  const EMPTY = '\0parley-unused-suite:';
  return {
    name: 'parley-without-optional-suites',
    enforce: 'pre',
    resolveDynamicImport(source, importer) {
      if (typeof source !== 'string' || !importer || !/[\\/]ts-mls[\\/]/.test(importer) || !UNUSED_SUITE_PACKAGES.test(source)) return null;
      return EMPTY + source;
    },
    load(id) {
      return id.startsWith(EMPTY) ? 'export {};' : null;
    },
  };
}

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  plugins: [zodWithoutJsonSchema(), precacheServiceWorker(), precompress()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  // Each worker is one classic script: ts-mls (the MLS worker) imports its curves dynamically, which a
  // worker would otherwise need chunks and `type: 'module'` for.
  worker: { plugins: () => [withoutOptionalSuites()], rollupOptions: { output: { inlineDynamicImports: true } } },
  server: { proxy: { '/api': { target: 'http://localhost:8080', ws: true } } },
});
