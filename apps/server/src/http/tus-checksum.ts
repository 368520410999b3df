import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** tus checksum extension: the algorithms this server checks (`Tus-Checksum-Algorithm`). */
export const CHECKSUM_ALGORITHMS = ['sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** `Upload-Checksum: <algorithm> <base64 digest>`; undefined when malformed or of another algorithm. */
export function parseChecksum(header: string): { algorithm: ChecksumAlgorithm; digest: Buffer } | undefined {
  const m = /^([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === m?.[1]);
  if (!m || !algorithm) return undefined;
  return { algorithm, digest: Buffer.from(m[2]!, 'base64') };
}

/** A PATCH body kept on disk until its checksum is known; `dispose` deletes it. */
export interface Spooled {
  path: string;
  size: number;
  dispose(): Promise<void>;
}

export class BodyTooLarge extends Error {}
export class ChecksumMismatch extends Error {}

/**
 * The tus checksum extension: a PATCH with `Upload-Checksum` is written to a temp file (never held in
 * memory) while it is hashed, and reaches the store only if the digest matches, so a mismatch (460)
 * changes nothing. Stops at the first byte past `maxBytes` (the upload's remaining length).
 */
export async function spoolChecked(body: Readable, checksum: { algorithm: ChecksumAlgorithm; digest: Buffer }, maxBytes: number): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-patch-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'body');
  const hash = createHash(checksum.algorithm);
  let size = 0;
  try {
    await pipeline(body, new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new BodyTooLarge('the body is longer than the rest of the upload'));
        hash.update(chunk);
        done(null, chunk);
      },
    }), createWriteStream(path));
    if (!hash.digest().equals(checksum.digest)) throw new ChecksumMismatch('Upload-Checksum does not match the body');
    return { path, size, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
