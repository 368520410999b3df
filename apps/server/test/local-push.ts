import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostResolver, ResolvedAddress } from '@parley/server';

/** A self-signed certificate (P-256) for these DNS names (or IPv4 addresses), made with the machine's openssl. */
export function selfSignedCert(names: readonly string[]): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', `/CN=${names[0]}`,
      '-addext', `subjectAltName=${names.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`,
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Received {
  method: string;
  path: string;
  body: Buffer;
  headers: IncomingMessage['headers'];
}

export interface LocalService extends AsyncDisposable {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

async function listen(server: Server, host: string, received: Received[], wanted = 0): Promise<LocalService> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return { port, received, close, [Symbol.asyncDispose]: close };
}

function record(received: Received[], answer: Answer) {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks), headers: req.headers });
      const { status, headers } = answer(req);
      res.writeHead(status, headers).end();
    });
  };
}

export type Answer = (req: IncomingMessage) => { status: number; headers?: Record<string, string> };

/** A push service over https on a loopback address (127.0.0.2 by default), answering 201 unless told otherwise. */
export async function startPushService(tls: { key: string; cert: string }, opts: { host?: string; answer?: Answer } = {}): Promise<LocalService> {
  const received: Received[] = [];
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, record(received, opts.answer ?? (() => ({ status: 201 }))));
  return listen(server as unknown as Server, opts.host ?? '127.0.0.2', received);
}

/**
 * An "internal" service on 127.0.0.1 that no one outside should make the server call: plain http, or
 * https with the push service's certificate (so a push sent to the wrong address would succeed).
 */
export async function startInternalService(tls?: { key: string; cert: string }, port = 0): Promise<LocalService> {
  const received: Received[] = [];
  const handler = record(received, () => ({ status: 200 }));
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) as unknown as Server : createHttpServer(handler);
  return listen(server, '127.0.0.1', received, port);
}

/** A resolver for tests: names map to addresses, and the map may change (DNS rebinding). Unknown names fail. */
export class TestResolver implements HostResolver {
  readonly calls: string[] = [];
  readonly #names = new Map<string, ResolvedAddress[]>();
  set(name: string, ...addresses: string[]): this {
    this.#names.set(name, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    return this;
  }
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    this.calls.push(hostname);
    const found = this.#names.get(hostname);
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  }
}
