import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small tus 1.0 server for the SDK's unit tests (creation, HEAD, PATCH, termination, GET with
 * Range), which records every byte range it received and can cut a PATCH after some bytes, like a
 * dropped connection. The integration tests use the real server (apps/server).
 */
export interface FakeTusServer {
  url: string;
  blobs: Map<string, { length: number; data: Buffer; complete: boolean }>;
  /** [blobId, start, end) of every PATCH body byte stored. */
  received: { blobId: string; start: number; end: number }[];
  /** Cuts the next PATCH after this many bytes (the stored part stays, as a real server keeps it). */
  cutAfter?: number;
  /** Every request, as "METHOD path". */
  log: string[];
  /** Answers POST with this instead of creating (e.g. 413 quota_exceeded). */
  refuseCreate?: { status: number; code: string };
  close(): Promise<void>;
}

export async function startFakeTusServer(token = 'token-1'): Promise<FakeTusServer> {
  let next = 0;
  const state: Omit<FakeTusServer, 'url' | 'close'> = { blobs: new Map(), received: [], log: [] };
  const server = createServer((req, res) => void handle(req, res));
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.log.push(`${req.method} ${path}`);
    const tus = { 'Tus-Resumable': '1.0.0' };
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'auth_required', message: 'no' } }));
      return;
    }
    if (req.method === 'POST' && path === '/api/v1/blobs') {
      if (state.refuseCreate) {
        res.writeHead(state.refuseCreate.status, { 'content-type': 'application/json', ...tus }).end(JSON.stringify({ error: { code: state.refuseCreate.code, message: 'refused' } }));
        return;
      }
      const length = Number(req.headers['upload-length']);
      const id = `blob${String(next++).padStart(18, '0')}`;
      state.blobs.set(id, { length, data: Buffer.alloc(0), complete: false });
      res.writeHead(201, { Location: `/api/v1/blobs/${id}`, ...tus }).end();
      return;
    }
    const id = path.split('/').pop() ?? '';
    const blob = state.blobs.get(id);
    if (!blob) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json', ...tus }).end(JSON.stringify({ error: { code: 'blob_not_found', message: 'no' } }));
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'Upload-Offset': String(blob.data.length), 'Upload-Length': String(blob.length), 'Cache-Control': 'no-store', ...tus }).end();
      return;
    }
    if (req.method === 'DELETE') {
      state.blobs.delete(id);
      res.writeHead(204, tus).end();
      return;
    }
    if (req.method === 'PATCH') {
      const offset = Number(req.headers['upload-offset']);
      if (offset !== blob.data.length) {
        req.resume();
        res.writeHead(409, tus).end();
        return;
      }
      const cut = state.cutAfter;
      delete state.cutAfter;
      let got = 0;
      for await (const piece of req as AsyncIterable<Buffer>) {
        let bytes = piece;
        if (cut !== undefined && got + bytes.length >= cut) bytes = bytes.subarray(0, cut - got);
        if (bytes.length > 0) {
          state.received.push({ blobId: id, start: blob.data.length, end: blob.data.length + bytes.length });
          blob.data = Buffer.concat([blob.data, bytes]);
          got += bytes.length;
        }
        if (cut !== undefined && got >= cut) {
          req.socket.destroy(); // the connection drops mid-request
          return;
        }
      }
      blob.complete = blob.data.length === blob.length;
      res.writeHead(204, { 'Upload-Offset': String(blob.data.length), ...tus }).end();
      return;
    }
    if (req.method === 'GET') {
      if (!blob.complete) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'blob_not_found', message: 'no' } }));
        return;
      }
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        const end = Math.min(Number(m[2]), blob.length - 1);
        res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${blob.length}`, 'content-type': 'application/octet-stream' }).end(blob.data.subarray(start, end + 1));
      } else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(blob.data);
      return;
    }
    res.writeHead(405).end();
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
