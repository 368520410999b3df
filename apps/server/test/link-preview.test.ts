import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
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

function page(title: string, extra = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>ignored &amp; plain</title>
<meta property="og:title" content="${title}"><meta name="description" content="Water is off on Tuesday &#8212; 9 to 12.">
<meta property="og:site_name" content="Building 7 news"><meta property="og:image" content="/img.png">${extra}</head><body><p>hello</p></body></html>`;
}

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
