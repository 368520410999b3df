// bench/mls-main-thread.ts `chromium`: a page on localhost (lib/mls-page.ts, bundled here with esbuild)
// that runs the web client's built MLS worker, and the group's bytes it fetches.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { launchBrowser } from '../../apps/web/e2e/browser.ts';
import type { CachedGroup } from './mls-group-cache.ts';

/** The page's JS heap after a forced GC, in MB (one decimal). */
export async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return Math.round(usedSize / 1e5) / 10;
}

/** The MLS worker's JS heap after a GC, through a browser-level CDP session attached to the worker's target. */
async function workerHeapMb(browser: Browser): Promise<number | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'worker' && t.title.includes('mls'))  ?? targetInfos.find((t) => t.type === 'worker');
    if (!target) return null;
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    let next = 1;
    const ask = (method: string) => new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      const on = (e: { sessionId?: string; message: string }) => {
        const m = JSON.parse(e.message) as { id?: number; result?: Record<string, unknown> };
        if (e.sessionId === sessionId && m.id === id) { cdp.off('Target.receivedMessageFromTarget', on); resolve(m.result ?? {}); }
      };
      cdp.on('Target.receivedMessageFromTarget', on);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    });
    await ask('HeapProfiler.collectGarbage');
    const { usedSize } = await ask('Runtime.getHeapUsage') as { usedSize?: number };
    return usedSize === undefined ? null : Math.round(usedSize / 1e5) / 10;
  } finally {
    await cdp.detach();
  }
}

export async function chromiumRun(group: CachedGroup, print: (row: Record<string, unknown>) => void): Promise<void> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = execFileSync(join(here, '../../node_modules/.bin/esbuild'), [join(here, 'mls-page.ts'), '--bundle', '--format=iife', '--target=es2022', '--platform=browser', '--log-level=error'], { maxBuffer: 64 * 2 ** 20 });
  const dist = process.env['BENCH_WEB_DIST'] ?? defaultWebDist();
  const workerFile = readdirSync(join(dist, 'assets')).find((f) => /^mls\.worker-.*\.js$/.test(f));
  if (!workerFile) throw new Error(`no MLS worker in ${dist}/assets: build the web client first`);
  const data: Record<string, Uint8Array> = { state: group.state, add: group.addCommit, welcome: group.addWelcome, join: group.joinCommit };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>mls bench</title><script src="/page.js"></script>');
    if (path === '/page.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (path.startsWith('/data/') && data[path.slice(6)]) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data[path.slice(6)]);
    if (path === `/assets/${workerFile}`) return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dist, 'assets', workerFile)));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  const browser = await launchBrowser(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('404')) print({ console: m.text().slice(0, 300) }); });
    await page.goto(url);
    print({ step: 'chromium', version: browser.version(), worker: workerFile, heapBeforeMb: await heapMb(page) });
    print({ step: 'idle 5 s', ...(await page.evaluate('parleyBench.idle(5000)') as object) });
    if (process.env['BENCH_CHROMIUM_MESSAGES'] === '1') { // issue 12: only the per-message writes
      const m = await page.evaluate(`parleyBench.messages(${JSON.stringify(`/assets/${workerFile}`)}, 10)`) as { members: number; rows: Record<string, number>[] };
      for (const [i, row] of m.rows.entries()) print({ step: 'message', members: m.members, round: i + 1, ...row });
      return;
    }
    const commits = await page.evaluate(`parleyBench.commits(${JSON.stringify(`/assets/${workerFile}`)})`) as { rounds: unknown[] };
    for (const [i, round] of commits.rounds.entries()) print({ step: 'commits', engine: 'worker', round: i + 1, ...(round as object) });
    print({ step: 'commits-heap', workerHeapMbGroupOpen: await workerHeapMb(browser), pageHeapMb: await heapMb(page) });
    if (process.env['BENCH_IN_PAGE'] !== '0') {
      // The baseline: the same on the page's own thread, as the web client ran MLS before its worker (one round).
      const inPage = await page.evaluate(`parleyBench.commits('', true)`) as { rounds: unknown[] };
      print({ step: 'commits', engine: 'page (before the worker)', round: 1, ...(inPage.rounds[0] as object) });
      print({ step: 'commits-heap', engine: 'page', pageHeapMbGroupOpen: await heapMb(page) });
    }
    const counts = (process.env['BENCH_KEY_PACKAGES'] ?? '21,100').split(',').map(Number);
    print({ step: 'page-mls', ...(await page.evaluate(`parleyBench.pageMls(${JSON.stringify(counts)})`) as object), pageHeapMb: await heapMb(page) });
  } finally {
    await browser.close();
    server.close();
  }
}
