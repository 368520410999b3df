import type { MessagePort, Worker } from 'node:worker_threads';
import type { EnginePort } from '../../packages/client/src/mls/engine-wire.ts';

/** A worker_threads end (an EventEmitter) as the engine's port (the web's `onmessage` shape). */
export function nodePort(end: MessagePort | Worker): EnginePort {
  let handler: ((event: { data: unknown }) => void) | null = null;
  end.on('message', (data: unknown) => handler?.({ data }));
  return {
    postMessage: (message, transfer) => end.postMessage(message, transfer),
    get onmessage() { return handler; },
    set onmessage(fn) { handler = fn; },
  };
}
