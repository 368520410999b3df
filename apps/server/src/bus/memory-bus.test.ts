import { busSuite } from './bus.suite.ts';
import { MemoryBus } from './memory-bus.ts';

busSuite('MemoryBus', async () => {
  const errors: unknown[] = [];
  const bus = new MemoryBus({ onError: (err) => errors.push(err) });
  return {
    a: bus,
    b: bus,
    sync: async () => {},
    topicCount: (node) => (node as MemoryBus).topicCount,
    errors,
    close: () => bus.close(),
  };
});
