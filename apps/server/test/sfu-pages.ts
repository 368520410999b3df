import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PageJoin } from './sfu-page-join.ts';

/**
 * What the SFU browser tests (calls-sfu-media, -e2ee-media, -reconnect, -simulcast) share: a
 * Chromium with fake media, one bundle of the SDK's GroupCall and the web client's frame crypto
 * for the pages (window.ParleyCalls, sfu-page-join.ts), a page on the server's origin (a secure
 * context for WebRTC), joining with fake media, and a chat log shared by the pages (R120's entries).
 */

export type { PageJoin };

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

export const CALL_BROWSER_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required',
];

/** Chromium with fake camera and microphone (installed with apt when missing); `executablePath` for one in a network namespace. */
export async function launchCallBrowser(opts: { executablePath?: string; args?: string[] } = {}): Promise<Browser> {
  if (!existsSync('/usr/bin/chromium')) execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  return chromium.launch({ executablePath: opts.executablePath ?? '/usr/bin/chromium', args: [...CALL_BROWSER_ARGS, ...(opts.args ?? [])] });
}

/**
 * window.ParleyCalls for a page: GroupCall, simulcastEncodings, the web client's attachFrameCrypto
 * with its worker from a blob URL, and joinWithFakeMedia. `workerPrelude`: a module the worker
 * imports before its own code (a test's tap on its frames).
 */
export async function bundleCallPage(opts: { workerPrelude?: string } = {}): Promise<string> {
  const clientFrameKeys: Plugin = {
    name: 'client-frame-keys',
    // The worker's part of the SDK only (frame keys, R165's RED), not the whole client.
    setup(b) {
      b.onResolve({ filter: /^@parley\/client$/ }, () => ({ path: 'client-calls', namespace: 'client-calls' }));
      b.onLoad({ filter: /.*/, namespace: 'client-calls' }, () => ({
        contents: ['frame-keys.ts', 'audio-redundancy.ts'].map((f) => `export * from ${JSON.stringify(root(`packages/client/src/calls/${f}`))};`).join('\n'), loader: 'ts', resolveDir: root('packages/client/src/calls'),
      }));
    },
  };
  const prelude: Plugin = {
    name: 'worker-prelude',
    setup(b) {
      b.onResolve({ filter: /^worker-prelude$/ }, () => ({ path: 'worker-prelude', namespace: 'worker-prelude' }));
      b.onLoad({ filter: /.*/, namespace: 'worker-prelude' }, () => ({ contents: opts.workerPrelude ?? '', loader: 'js', resolveDir: root('apps/web/src/calls') }));
    },
  };
  const worker = await build({
    // The prelude first (imports run in order), so it sees the worker's handlers being set.
    stdin: { contents: `import 'worker-prelude'; import ${JSON.stringify(root('apps/web/src/calls/frame-crypto.worker.ts'))};`, resolveDir: root('apps/web/src/calls'), loader: 'js' },
    bundle: true, format: 'iife', platform: 'browser', write: false, target: 'chrome120', plugins: [clientFrameKeys, prelude],
  });
  const workerUrl: Plugin = {
    name: 'worker-url',
    setup(b) {
      b.onResolve({ filter: /\?worker&url$/ }, () => ({ path: 'frame-worker', namespace: 'worker-url' }));
      b.onLoad({ filter: /.*/, namespace: 'worker-url' }, () => ({
        contents: `export default URL.createObjectURL(new Blob([${JSON.stringify(worker.outputFiles[0]!.text)}], { type: 'text/javascript' }));`, loader: 'js',
      }));
    },
  };
  const page = await build({
    stdin: {
      contents: `export * from ${JSON.stringify(root('apps/server/test/sfu-page-join.ts'))}; export { attachFrameCrypto } from ${JSON.stringify(root('apps/web/src/calls/frame-crypto.ts'))};`,
      resolveDir: root('apps/web/src/calls'), loader: 'ts',
    },
    bundle: true, format: 'iife', globalName: 'ParleyCalls', platform: 'browser', write: false, target: 'chrome120', plugins: [workerUrl],
  });
  return page.outputFiles[0]!.text;
}

/** A page of `browser` at `origin` (a secure context for getUserMedia and WebRTC) with the bundle and `extra` (a script string) in it. */
export async function openCallPage(browser: Browser, origin: string, script: string, extra = ''): Promise<Page> {
  const page = await (await browser.newContext({ bypassCSP: true })).newPage(); // the API's CSP is for JSON, not scripts
  await page.goto(`${origin}/api/v1/info`);
  await page.addScriptTag({ content: `${script}\nwindow.__name = (f) => f; // what tsx's keepNames puts in page functions\n${extra}` });
  return page;
}

/** Joins the page's call (window.call) with fake media. */
export async function joinInPage(page: Page, join: PageJoin): Promise<void> {
  await page.evaluate((j) => (window as unknown as { ParleyCalls: { joinWithFakeMedia(j: PageJoin): Promise<void> } }).ParleyCalls.joinWithFakeMedia(j), join);
}

/**
 * A chat's log for pages that join with `encrypted` (R120 needs one): every call entry a page posts
 * reaches every page's call in one order, as `logEntry(seq, mine, content, from)`.
 */
export class PageLog {
  readonly #pages: Page[] = [];
  #seq = 0;
  #order: Promise<void> = Promise.resolve();

  async add(page: Page): Promise<void> {
    const from = this.#pages.push(page) - 1;
    await page.exposeFunction('__post', (content: unknown) => this.#post(from, content));
  }

  #post(from: number, content: unknown): Promise<void> {
    const seq = ++this.#seq;
    this.#order = this.#order.then(() => Promise.all(this.#pages.map((p, i) => p.evaluate(([seq, mine, content, from]) => {
      (window as unknown as { call?: { logEntry(...a: unknown[]): void } }).call?.logEntry(seq, mine, content, from);
    }, [seq, i === from, content, `page-${from}`] as const).catch(() => undefined))).then(() => undefined));
    return this.#order;
  }
}
