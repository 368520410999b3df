import { RemoteMlsEngine, type EnginePort } from '@parley/client';
import workerUrl from './mls.worker.ts?worker&url';
import { trustedWorkerUrl } from '../trusted-worker.ts';

/** The MLS worker of this page (one per tab: each tab's client has its own groups, as before). */
export function startMlsWorker(): RemoteMlsEngine {
  const worker = new Worker(trustedWorkerUrl(workerUrl), { name: 'parley-mls' });
  const engine = new RemoteMlsEngine(worker as unknown as EnginePort);
  worker.onerror = (event: Event) => {
    // An uncaught error inside a running worker comes as an ErrorEvent with a message (ts-mls's optional
    // ciphersuite imports, stubbed in the build, throw one at start): the calls still answer, so it is
    // only logged. A script that could not load (offline without the precache, blocked) comes as a
    // plain error event: then nothing will answer, and every call fails instead of waiting.
    if (event instanceof ErrorEvent && event.message) {
      console.warn('parley: MLS worker:', event.message);
      return;
    }
    engine.fail(new Error('the MLS worker could not start'));
    worker.terminate();
  };
  return engine;
}
