#!/usr/bin/env node
// `npm run parley-admin`: runs the operator commands' compiled bundle (apps/server/dist/admin.js,
// built with the server by `npm ci` or `npm start`). When the server's sources are newer than that
// build (an edit in a checkout) or there is none, runs the TypeScript sources through tsx instead,
// so an edit is never hidden by a stale build. Like packages/cli/bin/parley.mjs.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/admin.js', import.meta.url);

async function useBundle() {
  if (!existsSync(bundle)) return false;
  const [{ buildState }, { targets }] = await Promise.all([
    import(new URL('../../../scripts/build/freshness.mjs', import.meta.url).href),
    import(new URL('../../../scripts/build/targets.mjs', import.meta.url).href),
  ]);
  return buildState(targets.server) === 'fresh';
}

// Either module runs the command given in process.argv and sets process.exitCode.
if (await useBundle()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/admin/main.ts');
}
