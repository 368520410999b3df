import { ParleyError } from '@parley/protocol';
import { blobSource, type PlainSource } from './file-crypto.ts';

export const isNode = typeof globalThis.process === 'object' && typeof globalThis.process.versions?.node === 'string';

/**
 * Node's modules, loaded only when a path is used (the CLI, bots, tests): a browser bundle never
 * runs these lines, and the specifier in a variable keeps bundlers from trying to include them.
 */
export async function nodeModule<T>(name: 'node:fs/promises' | 'node:fs' | 'node:path' | 'node:crypto' | 'node:stream' | 'node:net' | 'node:tls'): Promise<T> {
  const specifier: string = name;
  return (await import(/* @vite-ignore */ specifier)) as T;
}

/** Reads [start, end) of a file on disk, opened once. */
async function pathSource(path: string): Promise<PlainSource> {
  const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises');
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(start, end, into) {
      const out = into && into.length >= end - start ? into.subarray(0, end - start) : new Uint8Array(end - start);
      let filled = 0;
      while (filled < out.length) {
        const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
        if (bytesRead === 0) throw new ParleyError('bad_request', `${path} is shorter than when it was queued`);
        filled += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

/** The plaintext of a file to send, wherever it is; `size` is what was declared when it was queued. */
export async function openSource(source: Blob | { path: string }, size: number): Promise<PlainSource> {
  const opened = typeof Blob !== 'undefined' && source instanceof Blob ? blobSource(source) : await pathSource((source as { path: string }).path);
  if (opened.size !== size) {
    await opened.close();
    // Encryption is made again from the plaintext on every resume: a file that changed can't continue.
    throw new ParleyError('bad_request', 'the file changed since it was queued');
  }
  return opened;
}
