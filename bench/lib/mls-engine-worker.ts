// bench/mls-main-thread.ts's worker: the SDK's MLS engine host, as apps/web/src/mls/mls.worker.ts runs it in a page.
import { parentPort } from 'node:worker_threads';
import { serveMlsEngine } from '../../packages/client/src/mls/engine-host.ts';
import { nodePort } from './node-port.ts';

if (!parentPort) throw new Error('run as a worker');
serveMlsEngine(nodePort(parentPort));
