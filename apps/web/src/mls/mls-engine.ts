import type { MlsEngine } from '@parley/client';

/**
 * The client's MLS engine on a web page: a worker (remote-mls.ts, its own chunk) started at the
 * first group the client opens, so the chat screen's chunk carries only this wrapper.
 */
export function workerMlsEngine(): MlsEngine {
  let engine: Promise<MlsEngine> | undefined;
  const load = () => (engine ??= import('./remote-mls.ts').then((m) => m.startMlsWorker()));
  return {
    create: async (identity, groupId, options, epoch) => (await load()).create(identity, groupId, options, epoch),
    join: async (identity, welcome, keyPackages, options, tree) => (await load()).join(identity, welcome, keyPackages, options, tree),
    deserialize: async (bytes, options) => (await load()).deserialize(bytes, options),
  };
}
