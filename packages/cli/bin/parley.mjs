#!/usr/bin/env node
// Runs the CLI's compiled bundle (dist/, made by `npm ci` or `npm run build`). In a checkout whose
// sources are newer than that bundle, runs the TypeScript sources through tsx instead, so an edit is
// never hidden by a stale build. An installed package has no sources: its bundle is the CLI.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/index.js', import.meta.url);
const checkout = new URL('../../../scripts/build/freshness.mjs', import.meta.url);

async function useBundle() {
  if (!existsSync(bundle)) return false;
  if (!existsSync(new URL('../src', import.meta.url)) || !existsSync(checkout)) return true;
  const [{ buildState }, { targets }] = await Promise.all([import(checkout.href), import(new URL('../../../scripts/build/targets.mjs', import.meta.url).href)]);
  return buildState(targets.cli) === 'fresh';
}

let main;
if (await useBundle()) {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
