import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fetchUrl, isPublicAddress, UrlFetchError } from './url-fetch.ts';

const code = async (p: Promise<unknown>) => p.then(() => 'ok', (err: unknown) => (err instanceof UrlFetchError ? err.code : String(err)));

describe('files by URL (R163)', () => {
  it('R163 loopback, private, link-local, CGNAT, mapped and reserved addresses are not public; internet ones are', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a00:1', 'localhost', '']) {
      assert.equal(isPublicAddress(a), false, a);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(a), true, a);
  });

  it('R163 by default a URL to loopback is refused, by address or by name, before any connection; with a policy, each redirect is checked, and size, redirects, status, scheme and time are bounded', async () => {
    let hits = 0;
    const web = createServer((req, res) => {
      hits++;
      if (req.url === '/a.png') return res.writeHead(200, { 'content-type': 'image/png' }).end('picture');
      if (req.url === '/away') return res.writeHead(302, { location: `http://127.0.0.2:${port}/a.png` }).end();
      if (req.url === '/hop') return res.writeHead(301, { location: '/a.png' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/hang') return; // never answers
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    const port = (web.address() as AddressInfo).port;
    try {
      const url = (path: string) => `http://127.0.0.1:${port}${path}`;
      assert.equal(await code(fetchUrl(url('/a.png'), { maxBytes: 100 })), 'private');
      assert.equal(await code(fetchUrl(`http://localhost:${port}/a.png`, { maxBytes: 100 })), 'private');
      assert.equal(await code(fetchUrl(`http://[::ffff:127.0.0.1]:${port}/a.png`, { maxBytes: 100 })), 'private');
      assert.equal(hits, 0, 'nothing connected');
      const only = { maxBytes: 100, allowed: (a: string) => a === '127.0.0.1' };
      const file = await fetchUrl(url('/hop'), only);
      assert.deepEqual([file.name, file.type, await file.text()], ['a.png', 'image/png', 'picture']);
      assert.equal(await code(fetchUrl(url('/away'), only)), 'private', 'a redirect to another address is checked');
      assert.equal(await code(fetchUrl(url('/loop'), { ...only, maxRedirects: 3 })), 'redirects');
      assert.equal(await code(fetchUrl(url('/a.png'), { ...only, maxBytes: 3 })), 'tooLarge');
      assert.equal(await code(fetchUrl(url('/gone'), only)), 'status');
      assert.equal(await code(fetchUrl(url('/hang'), { ...only, timeoutMs: 200 })), 'timeout');
      assert.equal(await code(fetchUrl(`ftp://127.0.0.1:${port}/a.png`, only)), 'invalid');
      assert.equal(await code(fetchUrl(`http://user:pw@127.0.0.1:${port}/a.png`, only)), 'invalid');
      assert.equal(await code(fetchUrl(`http://127.0.0.1:${port}/${'x'.repeat(3000)}`, only)), 'invalid');
      assert.equal(await (await fetchUrl(`http://localhost:${port}/a.png`, { maxBytes: 100, allowPrivate: true })).text(), 'picture');
    } finally {
      web.closeAllConnections();
      web.close();
    }
  });
});
