#!/usr/bin/env node
// Runs the gateway's TypeScript sources through tsx (like the CLI in a checkout).
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
