// Issue 12: a 5,000-member chat in Debian's Chromium (playwright-core), the built web client against
// a real server in this process. A person signs up; a group of `members` (seeded rows, with
// `joinLines` "joined" lines in its log) is made with her in it. Figures, one JSON line each:
//  open — from loading the app at the chat's members panel to its first rows drawn (sign-in, chat
//    list with the 5,000-member summary, the panel), and from the chat to the panel in the app;
//  members-scroll / messages-scroll — frame times (p50/p95/max of requestAnimationFrame deltas)
//    while the list is scrolled a step every frame, rows drawn, and the JS heap after.
// Needs `node scripts/build/build.mjs` first. Usage: node --import tsx bench/community-scale-web.ts [members=5000] [joinLines=1000]
// BENCH_WEB_DIST=/path/to/apps/web/dist measures another build (e.g. one from before the windowed
// members panel: its rows are then found as `[data-testid=member]`, scrolled in `.panel`).
import { createUser, freePort, seedLargeGroup, startTestServer, uniqueHandle } from '@parley/testing';
import type { Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { closeWebWorld, launchBrowser, personPage, signUp, type WebWorld } from '../apps/web/e2e/browser.ts';
import { heapMb } from './lib/mls-chromium.ts';

const members = Number(process.argv[2] ?? 5000);
const joinLines = Number(process.argv[3] ?? 1000);
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'community-scale-web', members, ...row }));

/** Scrolls `selector`'s box by `step` px every animation frame for `frames` frames; the deltas between frames. */
async function scrollFrames(page: Page, selector: string, step: number, frames: number): Promise<{ p50: number; p95: number; max: number; frames: number }> {
  const deltas = await page.evaluate(async ({ selector, step, frames }) => {
    const el = document.querySelector(selector) as HTMLElement;
    const out: number[] = [];
    let last = performance.now();
    for (let i = 0; i < frames; i++) {
      el.scrollTop += step;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      out.push(now - last);
      last = now;
    }
    return out;
  }, { selector, step, frames });
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1), frames: deltas.length };
}


async function openWorld(): Promise<WebWorld> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const server = await startTestServer({
    PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: process.env['BENCH_WEB_DIST'] ?? defaultWebDist(),
    PARLEY_MAX_GROUP_MEMBERS: String(Math.max(members, 5000)), PARLEY_WS_BUFFER_BYTES: String(Math.max(4, Math.ceil(members * 800 / 2 ** 20)) * 2 ** 20),
  });
  return { server, browser: await launchBrowser(), url, zed: await createUser(url, { displayName: 'Zed Zimmer', handle: uniqueHandle('zed') }) };
}
const world = await openWorld();
try {
  const { page } = await personPage(world.browser);
  const handle = uniqueHandle('amy');
  await signUp(page, world.url, 'Amy Adams', handle);
  const amy = await world.zed.client.findUser(handle);
  const chatId = await seedLargeGroup(world.server, { size: members, people: [world.zed.userId, amy.userId], name: 'Building 12', joinLines });
  print({ step: 'heap-before', heapMb: await heapMb(page) });

  let t = performance.now();
  await page.goto(`${world.url}/#/info/${chatId}`);
  await page.reload();
  await page.getByTestId('member').first().waitFor({ timeout: 120_000 });
  const loadMs = Math.round(performance.now() - t);
  await page.goto(`${world.url}/#/chat/${chatId}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  t = performance.now();
  await page.goto(`${world.url}/#/info/${chatId}`);
  await page.getByTestId('member').first().waitFor();
  print({ step: 'open', appLoadToMembersMs: loadMs, chatToMembersPanelMs: Math.round(performance.now() - t) });

  const windowed = (await page.getByTestId('members-list').count()) > 0;
  const membersScroll = await scrollFrames(page, windowed ? '[data-testid=members-list]' : '.panel', 120, 300);
  const drawn = await page.getByTestId('member').count();
  print({ step: 'members-scroll', windowed, ...membersScroll, rowsDrawn: drawn, heapMb: await heapMb(page) });

  await page.goto(`${world.url}/#/chat/${chatId}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  const scroller = await page.evaluate(() => {
    const el = [...document.querySelectorAll<HTMLElement>('.chat-view *')].find((e) => e.scrollHeight > e.clientHeight + 10 && getComputedStyle(e).overflowY !== 'visible');
    if (!el) return null;
    el.setAttribute('data-bench', 'timeline');
    return el.scrollHeight;
  });
  if (scroller === null) {
    print({ step: 'messages-scroll', error: 'no scrolling message list found' });
  } else {
    // Upwards from the bottom: older pages load as it nears the top (R9).
    const up = await scrollFrames(page, '[data-bench=timeline]', -150, 300);
    const rows = () => page.locator('[data-bench=timeline] [data-testid=system], [data-bench=timeline] [data-testid=message]').count();
    const domNodes = () => page.evaluate(() => document.getElementsByTagName('*').length);
    print({ step: 'messages-scroll', ...up, rowsInDom: await rows(), domNodes: await domNodes(), heapMb: await heapMb(page) });
    // Every page loaded (up to the chat's start), then down through all of it: the list at its longest.
    for (let i = 0; i < 200 && await page.evaluate(() => document.querySelector('.timeline .load-older') !== null); i++) {
      await page.evaluate(() => { const el = document.querySelector('[data-bench=timeline]') as HTMLElement; el.scrollTop = 0; });
      await page.waitForTimeout(100);
    }
    await page.evaluate(() => { const el = document.querySelector('[data-bench=timeline]') as HTMLElement; el.scrollTop = 0; });
    const down = await scrollFrames(page, '[data-bench=timeline]', 150, 300);
    print({ step: 'messages-scroll-down-all-loaded', ...down, rowsInDom: await rows(), domNodes: await domNodes(), heapMb: await heapMb(page) });
  }
} finally {
  await closeWebWorld(world);
}
process.exit(0);
