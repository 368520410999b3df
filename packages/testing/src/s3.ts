import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** The parts of s3rver (a Koa app) this helper uses; it ships no types. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  body: unknown;
  /** A request header. */
  get(header: string): string;
  set(header: string, value: string): void;
  response: { get(header: string): string };
}
interface S3rverApp {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void)[];
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverApp;

/** s3rver's own credentials (it checks request signatures against them). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 extends AsyncDisposable {
  /** http://127.0.0.1:port */
  endpoint: string;
  bucket: string;
  /** Where the emulator keeps objects (to look for plaintext in them). */
  directory: string;
  /** PARLEY_* variables that point a server at this bucket. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts an S3-compatible server for a test: s3rver (npm) on 127.0.0.1 with one empty bucket, in a temp
 * dir. s3rver implements multipart uploads but not ListParts nor AbortMultipartUpload, which
 * @tus/s3-store needs (the offset to resume from; termination): this adds both, from the parts s3rver
 * keeps on disk (`<dir>/<bucket>/._S3rver_uploads/<uploadId>/<partNumber>` and `.md5`). It also fixes
 * s3rver's answer to `Range: bytes=0-0` (it sends the whole object).
 */
export async function startTestS3(opts: { bucket?: string } = {}): Promise<TestS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const directory = mkdtempSync(join(tmpdir(), 'parley-s3-'));
  const bucket = opts.bucket ?? `parley-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  // Before the router, after the XML encoder: a plain object body is sent as XML.
  server.middleware.splice(server.middleware.length - 1, 0, (ctx, next) => multipartShim(directory, ctx, next));
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const close = async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
  return {
    endpoint, bucket, directory, close, [Symbol.asyncDispose]: close,
    env: {
      PARLEY_BLOB_STORE: 's3', PARLEY_S3_ENDPOINT: endpoint, PARLEY_S3_BUCKET: bucket, PARLEY_S3_FORCE_PATH_STYLE: 'true',
      PARLEY_S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, PARLEY_S3_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      PARLEY_S3_PART_BYTES: String(5 * 1024 * 1024),
    },
  };
}

async function multipartShim(root: string, ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  if (ctx.method === 'GET' && /^bytes=0-0$/.test(ctx.get('range'))) {
    await next();
    const total = /\/(\d+)$/.exec(ctx.response.get('content-range'))?.[1];
    if (ctx.status === 206 && total !== undefined && ctx.body instanceof Readable) {
      const whole = ctx.body;
      const first = await new Promise<Buffer>((resolve, reject) => whole.once('readable', () => resolve((whole.read(1) as Buffer | null) ?? Buffer.alloc(0))).once('error', reject));
      whole.destroy();
      ctx.body = first;
      ctx.set('content-range', `bytes 0-0/${total}`);
    }
    return;
  }
  const uploadId = ctx.query['uploadId'];
  const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (uploadId === undefined || !m || !/^[0-9a-f]+$/.test(uploadId) || (ctx.method !== 'GET' && ctx.method !== 'DELETE')) return next();
  const [, bucket = '', key = ''] = m;
  const dir = join(root, bucket, '._S3rver_uploads', uploadId);
  const exists = await stat(dir).then(() => true, () => false);
  if (!exists) {
    ctx.status = 404;
    ctx.body = { Error: { Code: 'NoSuchUpload', Message: 'The specified upload does not exist.', UploadId: uploadId } };
    return;
  }
  if (ctx.method === 'DELETE') {
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = '';
    return;
  }
  const marker = Number(ctx.query['part-number-marker'] ?? 0);
  const numbers = (await readdir(dir)).filter((n) => /^\d+$/.test(n)).map(Number).filter((n) => n > marker).sort((a, b) => a - b);
  const parts = [];
  for (const n of numbers) {
    const md5 = await readFile(join(dir, `${n}.md5`), 'utf8').catch(() => undefined);
    if (md5 === undefined) continue; // still being written
    const s = await stat(join(dir, String(n)));
    parts.push({ PartNumber: n, LastModified: s.mtime.toISOString(), ETag: `"${md5}"`, Size: s.size });
  }
  ctx.status = 200;
  ctx.body = {
    ListPartsResult: {
      Bucket: bucket, Key: decodeURIComponent(key), UploadId: uploadId, PartNumberMarker: marker, MaxParts: 10_000, IsTruncated: false,
      ...(parts.length > 0 ? { Part: parts } : {}),
    },
  };
}
