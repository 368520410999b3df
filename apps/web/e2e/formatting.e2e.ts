import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ENTITY_TYPES, type EntityType, type MessageEntity } from '@parley/protocol';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/**
 * R47 in a real browser: an XSS corpus through every entity type renders as text and runs nothing;
 * the composer's toolbar, shortcuts and Markdown-like typing send formatting; light and dark.
 */

const composer = (page: Page) => page.getByLabel('Message', { exact: true });

/** Each sets window.__xss if it ever runs. */
const CORPUS = [
  '<img src=x onerror="window.__xss=1">',
  '"><script>window.__xss=1</script>',
  '<svg onload=window.__xss=1><a href="javascript:window.__xss=1">x</a>',
  'javascript:window.__xss=1',
  '\u202Egnp.exe \u2067rtl\u2069 \u200Fmark',
  '{{constructor.constructor("window.__xss=1")()}} ${window.__xss=1}',
];
const LONG = '<img src=x onerror=window.__xss=1>'.repeat(400); // 13,600 characters

/** One message with `payload` under an entity of `type` (where the type lets the payload be its text). */
function sample(type: EntityType, payload: string): { text: string; entities: MessageEntity[] } {
  const all = (extra: Partial<MessageEntity> = {}) => [{ type, offset: 0, length: payload.length, ...extra } as MessageEntity];
  switch (type) {
    case 'url': {
      const text = `https://example.com/${payload.replace(/\s/g, '').slice(0, 1500)}`; // a link target has at most 2,048 characters
      return { text, entities: [{ type, offset: 0, length: text.length }] };
    }
    case 'mention': {
      const text = `${payload} @zed_handle`;
      return { text, entities: [{ type: 'bold', offset: 0, length: payload.length }, { type, offset: payload.length + 1, length: 11 }] };
    }
    case 'text_link': return { text: payload, entities: all({ url: `https://example.com/?q=${encodeURIComponent(payload.slice(0, 200))}` }) };
    case 'pre': return { text: payload, entities: all({ language: 'html' }) };
    default: return { text: payload, entities: all() };
  }
}

describe('R47 formatting in the web client', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('an XSS corpus through every entity type shows as text and runs nothing; links are safe; spoilers hide until activated', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const me = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(me.userId);
    let sent = 0;
    for (const type of ENTITY_TYPES) {
      for (const payload of [...CORPUS, LONG]) {
        const { text, entities } = sample(type, payload);
        await zed.client.sendText(direct.chatId, text, { entities });
        sent += 1;
      }
    }
    await zed.client.sendText(direct.chatId, 'the end of the corpus');
    await waitFor(() => zed.client.timeline(direct.chatId).filter((m) => m.state !== 'sending').length >= sent + 1, { what: 'zed sent the corpus', timeoutMs: 60_000 });

    await page.goto(`${url}/#/chat/${direct.chatId}`);
    await page.locator('.msg .text', { hasText: 'the end of the corpus' }).waitFor({ timeout: 60_000 });
    // Scroll through everything so each message has been rendered at least once.
    const timeline = page.getByTestId('timeline');
    for (let i = 0; i < 30; i += 1) {
      await timeline.evaluate((el) => { el.scrollTop = 0; });
      await page.waitForTimeout(100);
    }
    await timeline.evaluate((el) => { el.scrollTop = el.scrollHeight; });

    const dom = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
      handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,
      foreignSvg: document.querySelectorAll('.msg .text svg').length,
      hrefs: [...document.querySelectorAll('.msg .text a')].map((a) => [a.getAttribute('href') ?? '', a.getAttribute('target') ?? '', a.getAttribute('rel') ?? ''] as const),
    }));
    assert.equal(dom.xss, undefined, 'no payload ran');
    assert.deepEqual([dom.imgs, dom.scripts, dom.handlers, dom.foreignSvg], [0, 0, 0, 0], 'no element came from a payload');
    assert.ok(dom.hrefs.length > 0);
    for (const [href, target, rel] of dom.hrefs) {
      if (href.startsWith('#/u/')) continue; // a mention opens the chat with that person
      assert.match(href, /^https:\/\/example\.com\//, `only safe links: ${href}`);
      assert.deepEqual([target, rel], ['_blank', 'noopener noreferrer']);
    }
    // The payloads are there, as text.
    const texts = await page.locator('.msg .text').allTextContents();
    for (const payload of CORPUS.slice(0, 4)) assert.ok(texts.some((t) => t.includes(payload)), `shown as text: ${payload}`);
    assert.ok(texts.some((t) => t === LONG), 'the long one too');
    assert.ok(await page.locator('.msg .text strong').count() > 0 && await page.locator('.msg .text pre[data-language="html"]').count() > 0);

    // A spoiler shows nothing until it is activated, by keyboard too.
    const spoiler = page.getByTestId('spoiler').last();
    await spoiler.scrollIntoViewIfNeeded();
    assert.equal(await spoiler.getAttribute('role'), 'button');
    assert.equal(await spoiler.evaluate((el) => getComputedStyle(el.lastElementChild as Element).color), 'rgba(0, 0, 0, 0)');
    const before = await page.getByTestId('spoiler').count();
    await spoiler.focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => (await page.getByTestId('spoiler').count()) === before - 1, { what: 'the spoiler is revealed' });

    // A text_link whose text is not its target asks first and shows the real target.
    const link = page.locator('.msg .text a.fmt-link[href^="https://example.com/?q="]').first();
    await link.scrollIntoViewIfNeeded();
    await link.click();
    const confirm = page.getByTestId('link-confirm');
    await confirm.waitFor();
    assert.match((await page.getByTestId('link-confirm-url').textContent()) ?? '', /^https:\/\/example\.com\/\?q=/);
    await screenshot(page, 'formatting-link-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  });

  it('toolbar, shortcuts and Markdown-like typing send formatting; editing shows the markers again; light and dark; axe on the toolbar', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('bea');
    await signUp(page, url, 'Bea Brown', handle);
    const me = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(me.userId);
    await zed.client.sendText(direct.chatId, 'show me formatting');
    await page.goto(`${url}/#/chat/${direct.chatId}`);
    await page.locator('.msg .text', { hasText: 'show me formatting' }).waitFor();
    const bubble = (text: string) => page.locator('.msg .text', { hasText: text }).last();

    // Markdown-like typing.
    await composer(page).fill('**bold** _italic_ ~~gone~~ `x = 1` ||secret|| [docs](https://example.com/docs) https://parley.example');
    await composer(page).press('Enter');
    const typed = bubble('bold italic gone');
    await typed.waitFor();
    assert.equal(await typed.locator('strong').textContent(), 'bold');
    assert.equal(await typed.locator('em').textContent(), 'italic');
    assert.equal(await typed.locator('s').textContent(), 'gone');
    assert.equal(await typed.locator('code').textContent(), 'x = 1');
    assert.equal(await typed.getByTestId('spoiler').count(), 1);
    assert.equal(await typed.locator('a[href="https://example.com/docs"]').textContent(), 'docs');
    assert.equal(await typed.locator('a[href="https://parley.example/"]').textContent(), 'https://parley.example');

    await composer(page).fill('> quoted line\n```ts\nconst answer = 42;\n```\nafter the block');
    await composer(page).press('Enter');
    const block = bubble('quoted line');
    await block.waitFor();
    assert.equal(await block.locator('blockquote').textContent(), 'quoted line');
    assert.equal(await block.locator('pre[data-language="ts"]').textContent(), 'const answer = 42;');

    // The toolbar appears with a selection; its buttons and the shortcuts wrap the selection.
    await composer(page).fill('make this bold and that italic');
    assert.equal(await page.getByTestId('format-bar').count(), 0, 'no toolbar without a selection');
    await composer(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(5, 9));
    await page.getByTestId('format-bar').waitFor();
    await page.getByRole('button', { name: 'Bold' }).click();
    assert.equal(await composer(page).inputValue(), 'make **this** bold and that italic');
    await composer(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(23, 27));
    await page.keyboard.press('Control+i');
    assert.equal(await composer(page).inputValue(), 'make **this** bold and _that_ italic');
    await page.keyboard.press('Control+z');
    assert.equal(await composer(page).inputValue(), 'make **this** bold and that italic', 'undo takes a format back');
    await composer(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(23, 27));
    await page.keyboard.press('Control+Shift+X');
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Control+Shift+M');
    assert.equal(await composer(page).inputValue(), 'make **this** bold and ~~that~~ ital`ic`');
    await page.keyboard.press('Enter');
    const toolbar = bubble('make this bold and that ital');
    await toolbar.waitFor();
    assert.deepEqual([await toolbar.locator('strong').textContent(), await toolbar.locator('s').textContent(), await toolbar.locator('code').textContent()], ['this', 'that', 'ic']);

    // Ctrl+K makes a link around the selection, with the target selected to type over.
    await composer(page).fill('read the guide');
    await composer(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(9, 14));
    await page.keyboard.press('Control+k');
    await page.keyboard.type('https://example.com/guide');
    assert.equal(await composer(page).inputValue(), 'read the [guide](https://example.com/guide)');
    await page.keyboard.press('Enter');
    await bubble('read the guide').locator('a[href="https://example.com/guide"]').waitFor();
    await waitFor(() => zed.client.timeline(direct.chatId).some((i) => i.text === 'read the guide' && i.entities?.[0]?.type === 'text_link'), { what: 'zed got the link' });

    // Editing a formatted message puts its Markdown-like source back in the composer (↑ edits the
    // last message the server acknowledged: wait for the ack, which may come after Zed has it).
    await page.getByTestId('message').filter({ hasText: 'read the guide' }).and(page.locator(':not([data-state="sending"])')).waitFor();
    await page.keyboard.press('ArrowUp');
    await page.getByText('Editing').waitFor();
    assert.equal(await composer(page).inputValue(), 'read the [guide](https://example.com/guide)');
    await composer(page).fill('read the **guide**');
    await composer(page).press('Enter');
    await bubble('read the guide').locator('strong').waitFor();
    await waitFor(() => zed.client.timeline(direct.chatId).some((i) => i.text === 'read the guide' && i.edited && i.entities?.[0]?.type === 'bold'), { what: 'zed got the edit' });

    // The toggle keeps the toolbar open; screenshots and axe in both themes.
    const found: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate((t) => localStorage.setItem('parley.theme', t), theme);
      await page.reload();
      await bubble('make this bold').waitFor();
      await page.getByTestId('format-toggle').click();
      await page.getByTestId('format-bar').waitFor();
      await composer(page).fill('**draft** with _markers_');
      await page.waitForTimeout(300);
      await screenshot(page, `formatting-${theme}`);
      found.push(...(await axeViolations(page)).map((v) => `${theme}: ${v}`));
    }
    const ours = (v: string) => /format|fmt|\.text|composer|spoiler/.test(v);
    const elsewhere = found.filter((v) => !ours(v));
    if (elsewhere.length > 0) console.log(`axe elsewhere on the page (not formatting): ${elsewhere.join('\n')}`);
    assert.deepEqual(found.filter(ours), [], 'no serious or critical axe violations in the toolbar or formatted messages');
  });
});
