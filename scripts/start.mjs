#!/usr/bin/env node
// `npm start`: builds only what is missing or older than its sources (normally nothing: `npm ci`
// built it), then runs the compiled server in this process, on plain node.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ensureBuilt } from './build/build.mjs';
import { localCalls } from './local-calls.mjs';
import { root } from './build/targets.mjs';

await ensureBuilt(['server', 'web']);
Object.assign(process.env, await localCalls(process.env));
const server = join(root, 'apps/server/dist/main.js');
// The bundle starts the server when it is the program (its argv[1]), as with `node apps/server/dist/main.js`.
process.argv[1] = server;
await import(pathToFileURL(server).href);
