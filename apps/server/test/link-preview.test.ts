import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { ParleyError, RestApi } from '@parley/client';
import type { FetchedLinkPreview } from '@parley/protocol';
import { createUser, startTestServer, type TestServer } from '@parley/testing';
import { accountsLogin } from './raw-login.ts';

/**
 * R45 the link preview fetcher through the real server, against local test hosts: it makes previews
 * of public pages and never reaches a private, loopback or link-local address, directly, by a name
 * or by a redirect; it reads a bounded amount, gives up in time, checks content types, and the
 * operator can turn it off.
 */

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const names: Record<string, { address: string; family: 4 | 6 }[]> = {
  'news.test': [{ address: '127.0.0.1', family: 4 }],
  'internal.test': [{ address: '10.1.2.3', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'six.test': [{ address: '::1', family: 6 }],
  'mixed.test': [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }],
};
const hostResolver = { resolve: async (name: string) => names[name] ?? Promise.reject(new Error('NXDOMAIN')) };

let site: Server;
let port = 0;
const hits: string[] = [];

function page(title: string, extra = '', image = '/img.png'): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>ignored &amp; plain</title>
<meta property="og:title" content="${title}"><meta name="description" content="Water is off on Tuesday &#8212; 9 to 12.">
<meta property="og:site_name" content="Building 7 news"><meta property="og:image" content="${image}">${extra}</head><body><p>hello</p></body></html>`;
}

/** The most the kernel may buffer on one TCP connection: its largest receive plus send buffers (4 MiB where Linux doesn't say). */
function kernelBufferBytes(): number {
  try {
    const largest = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
    const bytes = largest('tcp_rmem') + largest('tcp_wmem');
    return Number.isFinite(bytes) && bytes > 0 ? bytes : 4 * 1024 * 1024;
  } catch {
    return 4 * 1024 * 1024;
  }
}

/** What the test host sent of its never-ending page, and when the fetcher hung up. */
const endless = { sent: 0, closed: undefined as Promise<void> | undefined };
/** Sizes for the limits test (PARLEY_PREVIEW_MAX_PAGE_BYTES / _MAX_IMAGE_BYTES there). */
const SMALL_PAGE = 64 * 1024;
const SMALL_IMAGE = 4096;

before(async () => {
  site = createServer((req, res) => {
    hits.push(req.url ?? '');
    switch (req.url) {
      case '/page': res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page('Lift works again &lt;3')); return;
      case '/img.png': res.writeHead(200, { 'content-type': 'image/png' }).end(PNG); return;
      case '/to-page': res.writeHead(302, { location: '/page' }).end(); return;
      case '/to-metadata': res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(); return;
      case '/to-internal': res.writeHead(301, { location: `http://internal.test:${port}/page` }).end(); return;
      case '/loop': res.writeHead(302, { location: '/loop' }).end(); return;
      case '/png-as-page': res.writeHead(200, { 'content-type': 'image/png' }).end(PNG); return;
      case '/no-title': res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>nothing</body></html>'); return;
      case '/big': {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write(page('A very long page'));
        // 4 MB after the head: the fetcher stops at its limit and still has the head.
        for (let i = 0; i < 64; i++) res.write('x'.repeat(64 * 1024));
        res.end();
        return;
      }
      case '/slow': res.writeHead(200, { 'content-type': 'text/html' }); res.write('<html><head>'); return; // never ends
      case '/endless': {
        // The head, then a body that never ends: only a fetcher that stops at its limit gets a preview.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write(page('An endless page'));
        endless.sent = 0;
        endless.closed = new Promise((resolve) => res.on('close', () => resolve()));
        const piece = Buffer.alloc(16 * 1024, 'x');
        const more = () => {
          while (!res.destroyed) {
            endless.sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', more);
          }
        };
        more();
        return;
      }
      case '/late-title': {
        // The title comes only after more than the page limit.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html><head><!-- ${'y'.repeat(SMALL_PAGE + 1024)} --><title>Too late</title></head></html>`);
        return;
      }
      case '/page-big-image': res.writeHead(200, { 'content-type': 'text/html' }).end(page('Big image', '', '/big.png')); return;
      case '/big.png': res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([PNG, Buffer.alloc(SMALL_IMAGE * 2)])); return;
      case '/page-svg-image': res.writeHead(200, { 'content-type': 'text/html' }).end(page('SVG image', '', '/img.svg')); return;
      case '/img.svg': res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'); return;
      case '/page-html-image': res.writeHead(200, { 'content-type': 'text/html' }).end(page('HTML image', '', '/png-as-html')); return;
      case '/png-as-html': res.writeHead(200, { 'content-type': 'text/html' }).end(PNG); return;
      default: res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  port = (site.address() as AddressInfo).port;
});
after(() => {
  site.closeAllConnections();
  site.close();
});

async function api(server: TestServer): Promise<RestApi> {
  const user = await createUser(server.url, { start: false });
  return new RestApi(server.url, await accountsLogin(server.url, user.deviceId, (d) => user.deviceKey.sign(d)));
}

const preview = (a: RestApi, url: string) => a.call<{ preview: FetchedLinkPreview }>('POST', '/link-preview', { url }).then((r) => r.preview);

async function refused(p: Promise<unknown>, code = 'preview_unavailable'): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ParleyError, String(err));
    assert.equal(err.code, code);
    if (code === 'preview_unavailable') assert.equal(err.message, 'no preview for this link', 'one plain message whatever the reason');
    return true;
  });
}

describe('R45 link previews through the server\'s fetcher', () => {
  it('a page\'s title, description, site and image; a redirect to a checked host is followed', { timeout: 30_000 }, async () => {
    // The test's host is on loopback: allowed here only through the operator's (dangerous) exception.
    await using server = await startTestServer({ PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' }, { hostResolver });
    const a = await api(server);
    const got = await preview(a, `http://news.test:${port}/page#section`);
    assert.deepEqual({ ...got, image: undefined }, {
      url: `http://news.test:${port}/page`, title: 'Lift works again <3', description: 'Water is off on Tuesday — 9 to 12.', siteName: 'Building 7 news', image: undefined,
    });
    assert.deepEqual(got.image, { mediaType: 'image/png', data: PNG.toString('base64') });
    assert.equal((await preview(a, `http://news.test:${port}/to-page`)).title, 'Lift works again <3');
    // 4 MB page: read up to PARLEY_PREVIEW_MAX_PAGE_BYTES, the head is in it.
    assert.equal((await preview(a, `http://news.test:${port}/big`)).title, 'A very long page');
    // Not pages, or pages with nothing to show.
    await refused(preview(a, `http://news.test:${port}/png-as-page`));
    await refused(preview(a, `http://news.test:${port}/no-title`));
    await refused(preview(a, `http://news.test:${port}/missing`));
    hits.length = 0;
    await refused(preview(a, `http://news.test:${port}/loop`));
    assert.equal(hits.length, 4, 'the first request and three redirects, no more');
  });

  it('reads no more than PARLEY_PREVIEW_MAX_PAGE_BYTES of a page and _MAX_IMAGE_BYTES of an image; an image of another type is left out; no URL in the logs', { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const logs = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } });
    await using server = await startTestServer({
      PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8', PARLEY_PREVIEW_MAX_PAGE_BYTES: String(SMALL_PAGE), PARLEY_PREVIEW_MAX_IMAGE_BYTES: String(SMALL_IMAGE),
      PARLEY_PREVIEW_TIMEOUT_MS: '20000',
    }, { hostResolver, logger: pino({ level: 'trace' }, logs) });
    const a = await api(server);
    const asked: string[] = [];
    const ask = (path: string) => {
      asked.push(path);
      return preview(a, `http://news.test:${port}${path}`);
    };

    // A page that never ends: the preview comes from its first bytes, long before the time limit,
    // and the fetcher hangs up; a reader of the whole page would still be reading at 20 s.
    const started = Date.now();
    assert.equal((await ask('/endless')).title, 'An endless page');
    assert.ok(Date.now() - started < 10_000, `in ${Date.now() - started} ms`);
    await endless.closed;
    // What the host wrote includes what the kernel buffered on both sides of the loopback connection
    // (up to its largest send and receive buffers: 36 MiB on a machine with a 32 MiB tcp_rmem), so
    // that is the bound; a reader of the whole page would have had gigabytes by now.
    const bound = SMALL_PAGE + kernelBufferBytes() + 1024 * 1024;
    assert.ok(endless.sent < bound, `the host sent ${endless.sent} bytes (bound ${bound}) before the fetcher hung up`);
    // A title after the limit is never read.
    await refused(ask('/late-title'));

    // Images: a small PNG is kept; one over the limit, an SVG or a PNG served as HTML are left out,
    // and the page's preview stands without them.
    const small = await ask('/page');
    assert.deepEqual(small.image, { mediaType: 'image/png', data: PNG.toString('base64') });
    for (const [path, title] of [['/page-big-image', 'Big image'], ['/page-svg-image', 'SVG image'], ['/page-html-image', 'HTML image']] as const) {
      hits.length = 0;
      const got = await ask(path);
      assert.equal(got.title, title);
      assert.equal(got.image, undefined, `${path}: no image`);
      assert.equal(hits.length, 2, `${path}: the page and its image were fetched (${hits.join(', ')})`);
    }

    // R45 keeps no log of URLs: nothing the server logged (every level, refusals included) names a host or path it was asked.
    assert.ok(lines.some((l) => l.includes('parley listening')), 'the capture has the server\'s logs');
    for (const path of [...asked, '/img.png', '/big.png', '/img.svg', '/png-as-html']) {
      const leak = lines.find((l) => l.includes(path) || l.includes('news.test'));
      assert.equal(leak, undefined, `a log line names ${path}`);
    }
  });

  it('never a private, loopback or link-local address: by literal, by name, by a name with one bad address, or by redirect', { timeout: 30_000 }, async () => {
    await using open = await startTestServer({ PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' }, { hostResolver });
    const a = await api(open);
    hits.length = 0;
    await refused(preview(a, `http://news.test:${port}/to-metadata`));
    await refused(preview(a, `http://news.test:${port}/to-internal`));
    assert.deepEqual(hits, ['/to-metadata', '/to-internal'], 'the redirects were read; their targets were never connected to');

    await using strict = await startTestServer({}, { hostResolver });
    const b = await api(strict);
    hits.length = 0;
    for (const url of [
      `http://news.test:${port}/page`, `http://127.0.0.1:${port}/page`, `http://2130706433:${port}/page`, `http://[::1]:${port}/page`,
      `http://[::ffff:127.0.0.1]:${port}/page`, 'http://internal.test/', 'http://metadata.test/latest/meta-data/', 'http://169.254.169.254/',
      'http://six.test/', `http://mixed.test:${port}/page`, 'http://nowhere.test/', 'ftp://news.test/page', 'javascript:alert(1)',
      `http://user:secret@news.test:${port}/page`, 'not a url',
    ]) await refused(preview(b, url));
    assert.deepEqual(hits, [], 'nothing reached the local host');
  });

  it('gives up after PARLEY_PREVIEW_TIMEOUT_MS; the operator can turn it off; per-device limit; signed-in devices only', { timeout: 30_000 }, async () => {
    await using server = await startTestServer({ PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8', PARLEY_PREVIEW_TIMEOUT_MS: '500', PARLEY_RATE_PREVIEWS_PER_MIN: '3' }, { hostResolver });
    const a = await api(server);
    await refused(preview(a, `http://news.test:${port}/slow`));
    await preview(a, `http://news.test:${port}/page`);
    await preview(a, `http://news.test:${port}/page`);
    await refused(preview(a, `http://news.test:${port}/page`), 'rate_limited');
    const anonymous = await fetch(`${server.url}/api/v1/link-preview`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://news.test:${port}/page` }) });
    assert.equal(anonymous.status, 401);

    await using off = await startTestServer({ PARLEY_LINK_PREVIEWS: 'off', PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' }, { hostResolver });
    await refused(preview(await api(off), `http://news.test:${port}/page`), 'link_previews_off');
  });
});
