import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '@parley/testing';

/** A web build as apps/web/vite.config.ts leaves it: hashed assets, fixed names, .br/.gz beside the larger files. */
function fakeWebDist(): { dir: string; script: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dist-'));
  mkdirSync(join(dir, 'assets'));
  const script = Buffer.from(`console.log(${JSON.stringify('parley '.repeat(2000))});\n`);
  const files: Record<string, Buffer> = {
    'index.html': Buffer.from(`<!doctype html><html><head><title>Parley</title><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body>${'<div></div>'.repeat(100)}</body></html>`),
    'sw.js': Buffer.from(`self.addEventListener('install', () => {}); // ${'x'.repeat(500)}`),
    'assets/index-Ab12Cd34.js': script,
  };
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(dir, name), data);
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(data));
    writeFileSync(join(dir, `${name}.gz`), gzipSync(data));
  }
  writeFileSync(join(dir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>'); // too small to be worth compressing: no variants
  writeFileSync(join(dir, '.build-stamp'), 'built\n');
  return { dir, script };
}

interface Raw {
  status: number;
  headers: { get(name: string): string | null };
  body: Buffer;
}

/** GET with node:http: fetch() would decode br/gzip on its own, and the bytes on the wire are what is under test. */
function get(url: string, acceptEncoding = 'identity', extra: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': acceptEncoding, ...extra } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        headers: { get: (name) => [res.headers[name.toLowerCase()] ?? null].flat().join(', ') || null },
        body: Buffer.concat(chunks),
      }));
    }).on('error', reject).end();
  });
}

describe('static files: precompressed by Accept-Encoding, hashed assets immutable, the rest revalidated', () => {
  let server: TestServer;
  let dist: { dir: string; script: Buffer };
  before(async () => {
    dist = fakeWebDist();
    server = await startTestServer({ PARLEY_WEB_DIST: dist.dir });
  });
  after(async () => {
    await server.close();
    rmSync(dist.dir, { recursive: true, force: true });
  });

  it('sends the brotli file to a client that accepts br, gzip to one that accepts only gzip, the plain file otherwise; Vary: Accept-Encoding on each', async () => {
    const url = `${server.url}/assets/index-Ab12Cd34.js`;
    const br = await get(url, 'gzip, deflate, br');
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.deepEqual(brotliDecompressSync(br.body), dist.script);
    assert.ok(br.body.length < dist.script.length / 10, `brotli bytes on the wire: ${br.body.length}`);
    const gz = await get(url, 'gzip');
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(gunzipSync(gz.body), dist.script);
    const plain = await get(url);
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.deepEqual(plain.body, dist.script);
    for (const res of [br, gz, plain]) {
      assert.match(res.headers.get('content-type') ?? '', /javascript/);
      assert.match(res.headers.get('vary') ?? '', /accept-encoding/i);
      assert.equal(Number(res.headers.get('content-length')), res.body.length);
    }
  });

  it('content-hashed assets are cached for a year, immutable, compressed or not', async () => {
    for (const enc of ['br', 'gzip', undefined]) {
      const res = await get(`${server.url}/assets/index-Ab12Cd34.js`, enc);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', `encoding ${enc ?? 'identity'}`);
    }
  });

  it('index.html (as / too) and the service worker are never cached stale: no-cache, with a validator', async () => {
    for (const path of ['/', '/index.html', '/sw.js']) {
      for (const enc of ['br', undefined]) {
        const res = await get(`${server.url}${path}`, enc);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('cache-control'), 'no-cache', `${path} ${enc ?? 'identity'}`);
        assert.equal(res.headers.get('content-encoding'), enc ?? null, path);
        const etag = res.headers.get('etag');
        assert.ok(etag, `${path}: an ETag to revalidate with`);
        const again = await get(`${server.url}${path}`, enc, { 'if-none-match': etag });
        assert.equal(again.status, 304, `${path}: revalidated, not downloaded again`);
      }
    }
    const page = await get(`${server.url}/`, 'br');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(brotliDecompressSync(page.body).toString(), /<title>Parley<\/title>/);
  });

  it('a file without compressed variants is sent plain; the security headers stay on every static file', async () => {
    const res = await get(`${server.url}/icon.svg`, 'br, gzip');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), null);
    for (const path of ['/', '/assets/index-Ab12Cd34.js', '/icon.svg']) {
      const r = await fetch(`${server.url}${path}`);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
      assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
    }
  });

  it('the build stamp and other dotfiles in the build are not served', async () => {
    const res = await fetch(`${server.url}/.build-stamp`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});
