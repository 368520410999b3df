// What each build produces and what it is built from. `npm start`, the CLI's bin and the build
// script all read this, so "is the build older than its sources?" has one answer.
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The SDK packages the server, the CLI and the web client are built from. */
const sdk = ['packages/protocol/src', 'packages/mls-public/src', 'packages/client/src'];
/** Changes to these rebuild everything: the build itself, the locked dependency versions. */
const always = ['scripts/build', 'package-lock.json'];

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {string} out      output directory (relative to the root), replaced whole by a build
 * @property {string} entry    a file every complete build has (relative to `out`)
 * @property {string[]} inputs files and directories (relative to the root) the build reads
 */

/** @type {Record<'server' | 'cli' | 'web' | 'sdk', Target>} */
export const targets = {
  // main.js (the server) and admin.js (parley-admin's commands), from one build.
  server: { name: 'server', out: 'apps/server/dist', entry: 'main.js', inputs: ['apps/server/src', ...sdk, ...always] },
  cli: { name: 'cli', out: 'packages/cli/dist', entry: 'index.js', inputs: ['packages/cli/src', ...sdk, ...always] },
  web: {
    name: 'web',
    out: 'apps/web/dist',
    entry: 'index.html',
    inputs: ['apps/web/src', 'apps/web/public', 'apps/web/index.html', 'apps/web/vite.config.ts', ...sdk, ...always],
  },
  // For `npm pack` only (not run by npm ci/start): the SDK packages as JavaScript with declarations,
  // one directory per package (<package>/src/…), copied into each package's dist/ when it is packed.
  sdk: { name: 'sdk', out: '.build/sdk', entry: 'client/src/index.js', inputs: [...sdk, ...always] },
};

/** What `node scripts/build/build.mjs` and `npm ci` build: what `npm start` and the CLI run. */
export const DEFAULT_TARGETS = ['server', 'cli', 'web'];

/** The file whose modification time is the moment the build in `out` started (sources newer than it are not in it). */
export const STAMP = '.build-stamp';
