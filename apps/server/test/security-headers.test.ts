import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultWebDist } from '@parley/server';
import { startTestServer } from '@parley/testing';

/** CSP directives by name: `default-src 'self'; …` → { 'default-src': ["'self'"], … }. */
function directives(csp: string | null): Map<string, string[]> {
  assert.ok(csp, 'a Content-Security-Policy header');
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([name, ...values]) => [name!, values]));
}

/** The headers every response carries, whatever it serves (R38). */
function assertCommon(res: Response, what: string): void {
  assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin', what);
  const permissions = res.headers.get('permissions-policy') ?? '';
  for (const denied of ['geolocation=()', 'payment=()', 'usb=()', 'serial=()', 'hid=()', 'midi=()']) assert.ok(permissions.includes(denied), `${what}: ${denied}`);
  for (const calls of ['camera=(self)', 'microphone=(self)']) assert.ok(permissions.includes(calls), `${what}: ${calls}`);
  const csp = directives(res.headers.get('content-security-policy'));
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors 'none'`);
}

function assertAppPolicy(res: Response, what: string): void {
  assertCommon(res, what);
  const csp = directives(res.headers.get('content-security-policy'));
  assert.deepEqual(csp.get('default-src'), ["'self'"], what);
  for (const name of ['script-src', 'style-src']) {
    const sources = csp.get(name) ?? [];
    assert.ok(sources.includes("'self'"), `${what}: ${name}`);
    for (const loose of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'https:', 'http:']) assert.ok(!sources.includes(loose), `${what}: ${name} has no ${loose}`);
  }
  assert.deepEqual(csp.get('object-src'), ["'none'"], what);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], what);
  assert.deepEqual(csp.get('require-trusted-types-for'), ["'script'"], `${what}: Trusted Types`);
  // Decrypted attachments are shown from blob: URLs the app made (R59); scripts and workers never are.
  assert.deepEqual(csp.get('img-src'), ["'self'", 'data:', 'blob:'], `${what}: img-src`);
  assert.deepEqual(csp.get('media-src'), ["'self'", 'blob:'], `${what}: media-src`);
  assert.deepEqual(csp.get('worker-src'), ["'self'"], `${what}: worker-src`);
  assert.deepEqual(csp.get('trusted-types'), ['parley-sw', 'parley-worker'], `${what}: the two script URL policies`);
  assert.ok(!(csp.get('connect-src') ?? []).some((s) => s === 'ws:' || s === 'wss:' || s === '*'), `${what}: WebSockets to this server only`);
}

describe('R38 security headers', () => {
  it('R38 the web client (page, hashed asset, service worker) and the API are served with a strict CSP, no framing, nosniff, no referrer', async () => {
    const dist = defaultWebDist();
    const asset = readdirSync(join(dist, 'assets')).find((f) => /^index-[\w-]+\.js$/.test(f));
    assert.ok(asset, 'the web client is built (npm run build --workspace @parley/web)');
    await using server = await startTestServer({ PARLEY_WEB_DIST: dist });

    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assertAppPolicy(page, '/');
    const script = await fetch(`${server.url}/assets/${asset}`);
    assert.equal(script.status, 200);
    assertAppPolicy(script, 'a hashed asset');
    // The service worker's script response sets the worker's own policy: it must let it fetch the shell.
    const worker = await fetch(`${server.url}/sw.js`);
    assertAppPolicy(worker, '/sw.js');
    assert.ok(directives(worker.headers.get('content-security-policy')).get('connect-src')?.includes("'self'"));
    assertAppPolicy(await fetch(`${server.url}/no-such-file.js`), 'a 404 of the web client');

    for (const [what, res] of [
      ['/api/v1/info', await fetch(`${server.url}/api/v1/info`)],
      ['an API error (401)', await fetch(`${server.url}/api/v1/me`)],
      ['an unknown API route', await fetch(`${server.url}/api/v1/nope`, { method: 'POST' })],
      ['/healthz', await fetch(`${server.url}/healthz`)],
    ] as const) {
      assertCommon(res, what);
      assert.deepEqual(directives(res.headers.get('content-security-policy')).get('default-src'), ["'none'"], `${what}: the API allows nothing`);
    }
  });

  it('R38 an inline script in index.html is allowed by its hash only; an https origin adds HSTS', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'parley-web-'));
    try {
      cpSync(defaultWebDist(), dist, { recursive: true });
      const inline = 'window.parleyBoot = 1;';
      const html = readFileSync(join(dist, 'index.html'), 'utf8').replace('</head>', `<script>${inline}</script></head>`);
      writeFileSync(join(dist, 'index.html'), html);
      await using server = await startTestServer({ PARLEY_WEB_DIST: dist, PARLEY_ORIGIN: 'https://chat.example.org' });
      const res = await fetch(`${server.url}/`);
      const scriptSrc = directives(res.headers.get('content-security-policy')).get('script-src') ?? [];
      assert.deepEqual(scriptSrc, ["'self'", `'sha256-${createHash('sha256').update(inline).digest('base64')}'`]);
      assert.ok(directives(res.headers.get('content-security-policy')).get('connect-src')?.includes('wss://chat.example.org'));
      assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000');
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
