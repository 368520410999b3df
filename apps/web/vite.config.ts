import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  plugins: [precacheServiceWorker()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/api': { target: 'http://localhost:8080', ws: true } } },
});
