import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';
import { focused, pressUntil } from './focus.ts';

/**
 * Issue 15: the whole client by keyboard, with a visible focus (menus, dialogs, new chat and group;
 * keyboard.e2e.ts covers send, reply, react and settings), and with reduced motion.
 */

/** Presses `key` once and returns what has the focus then. */
async function press(page: Page, key: string) {
  await page.keyboard.press(key);
  return focused(page);
}

/** A chat's row in the list (its button, not its ⋯ menu button). */
const rowOf = (f: Awaited<ReturnType<typeof focused>>, title: string) => f.tag === 'button' && f.role === '' && !f.name.startsWith('More for') && f.name.includes(title);

/** Moves the focus into the composer (a chat opened from the keyboard may leave it on the list). */
async function toComposer(page: Page): Promise<void> {
  if ((await focused(page)).tag !== 'textarea') await pressUntil(page, 'Tab', (f) => f.tag === 'textarea', 80);
}

describe('menus and dialogs by keyboard only; reduced motion', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('New chat and New group, the chat menu, the message menu\'s Pin and Forward, the forward picker and the link dialog without a pointer', async () => {
    const { context, page } = await personPage(browser);
    const handle = uniqueHandle('kay');
    await signUp(page, url, 'Kay Keys', handle);
    const kay = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(kay.userId);
    await waitFor(async () => (await zed.client.encryptionMembers(direct.chatId)).some((m) => m.userId === kay.userId), { what: "kay's browser in the chat", timeoutMs: 30_000 });
    await zed.client.sendText(direct.chatId, 'Lunch at noon?');
    // A link whose text is not its target: opening it asks first. Its target is this server (loopback).
    const target = `${url}/?from=guide`;
    await zed.client.sendText(direct.chatId, 'read the guide', { entities: [{ type: 'text_link', offset: 9, length: 5, url: target }] });
    await page.getByTestId('chat-row').filter({ hasText: 'read the guide' }).waitFor({ timeout: 20_000 });

    // New chat: a direct chat by handle.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await pressUntil(page, 'Tab', (f) => f.name === 'New chat');
    await page.keyboard.press('Enter');
    await page.getByLabel('Group name').waitFor(); // the panel is a chunk of its own
    await pressUntil(page, 'Tab', (f) => f.tag === 'input' && f.label.startsWith('Handle of the person'));
    await page.keyboard.type(`@${zed.handle}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Zed Zimmer', level: 2 }).waitFor();
    await page.getByTestId('message').filter({ hasText: 'Lunch at noon?' }).waitFor();

    // New group: name, a colour by the arrow keys, a member; Enter creates it and opens it.
    await pressUntil(page, 'Shift+Tab', (f) => f.name === 'New chat', 60);
    await page.keyboard.press('Enter');
    await page.getByLabel('Group name').waitFor();
    await pressUntil(page, 'Tab', (f) => f.tag === 'input' && f.label.startsWith('Group name'));
    await page.keyboard.type('Picnic');
    await pressUntil(page, 'Tab', (f) => f.tag === 'input' && f.name === 'Indigo', 3);
    await page.keyboard.press('ArrowRight');
    const colour = (await focused(page)).name;
    assert.notEqual(colour, 'Indigo', 'an arrow key picks the next colour');
    assert.equal(await page.getByRole('radio', { name: colour }).isChecked(), true);
    await screenshot(page, 'keyboard-new-group');
    await pressUntil(page, 'Tab', (f) => f.tag === 'input' && f.label.startsWith('Members'), 3);
    await page.keyboard.type(`@${zed.handle}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Picnic', level: 2 }).waitFor();
    await waitFor(() => zed.client.chats().some((c) => c.title === 'Picnic'), { what: 'zed is in the group', timeoutMs: 20_000 });
    const picnic = zed.client.chats().find((c) => c.title === 'Picnic')!;
    await waitFor(async () => (await zed.client.encryptionMembers(picnic.chatId)).length === 2, { what: 'both in the group\'s encryption', timeoutMs: 30_000 });

    // The chat menu: ⋯ on Zed's row, arrows move (and wrap), Escape closes, Enter chooses; the focus
    // comes back to ⋯ each time.
    const zedRow = page.locator('.chat-item', { has: page.locator('.chat-title', { hasText: /^Zed Zimmer$/ }) });
    await pressUntil(page, 'Shift+Tab', (f) => f.name === 'More for Zed Zimmer', 60);
    assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement!).opacity), '1', 'the ⋯ button shows while it has the focus');
    let f = await press(page, 'Enter');
    assert.deepEqual([f.role, f.name], ['menuitem', 'Archive'], 'the menu opens with the focus on its first item');
    const items = await page.getByTestId('chat-menu').getByRole('menuitem').allTextContents();
    assert.equal((await press(page, 'ArrowUp')).name, items.at(-1), 'ArrowUp from the first item goes to the last');
    assert.equal((await press(page, 'ArrowDown')).name, 'Archive', 'and ArrowDown wraps back');
    f = await press(page, 'ArrowDown');
    assert.equal(f.name, 'Mute for 1 hour');
    assert.notEqual(f.outline.split(' ')[0], 'none', 'the menu item shows its focus');
    await screenshot(page, 'keyboard-chat-menu');
    f = await press(page, 'Escape');
    await page.getByTestId('chat-menu').waitFor({ state: 'detached' });
    assert.equal(f.name, 'More for Zed Zimmer', 'Escape gives the focus back to ⋯');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    f = await press(page, 'Enter');
    await zedRow.getByText('Muted').waitFor({ state: 'attached' });
    await page.getByTestId('chat-menu').waitFor({ state: 'detached' });
    assert.equal(f.name, 'More for Zed Zimmer', 'choosing gives the focus back to ⋯');
    assert.equal(await zedRow.locator('.chat-muted').isVisible(), true, 'the row shows the chat muted');

    // Open Zed's chat from its row; Pin his message from its menu.
    await pressUntil(page, 'Shift+Tab', (x) => rowOf(x, 'Zed Zimmer'), 3);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Zed Zimmer', level: 2 }).waitFor();
    await toComposer(page);
    const bubble = page.getByTestId('message').filter({ hasText: 'Lunch at noon?' });
    await pressUntil(page, 'Shift+Tab', (x) => x.tag === 'div' && x.inMessage === 'Lunch at noon?', 60);
    await pressUntil(page, 'Tab', (x) => x.name === 'Pin' && x.inMessage === 'Lunch at noon?', 12);
    await page.keyboard.press('Enter');
    await page.getByTestId('pinned-bar').filter({ hasText: 'Lunch at noon?' }).waitFor();
    await bubble.getByTestId('pinned-mark').waitFor();
    await waitFor(() => zed.client.pinned(direct.chatId).some((i) => i.text === 'Lunch at noon?'), { what: 'zed sees the pin', timeoutMs: 20_000 });

    // Forward: the picker opens with the focus inside; Escape closes it and gives the focus back.
    await pressUntil(page, 'Shift+Tab', (x) => x.name === 'Forward' && x.inMessage === 'Lunch at noon?', 4);
    f = await press(page, 'Enter');
    const picker = page.getByTestId('forward-picker');
    await picker.waitFor();
    f = await focused(page);
    assert.equal(f.dialog, 'forward-picker', `the focus is in the picker (${f.tag} ${f.name})`);
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    f = await focused(page);
    assert.equal(f.name, 'Forward', 'Escape closes the picker and the focus is back on Forward');
    // Again: search, tick the group with Space, Tab to the send button, Enter.
    await page.keyboard.press('Enter');
    await picker.waitFor();
    assert.equal((await focused(page)).name, 'Search chats', 'the picker opens in its search box');
    await page.keyboard.type('Picn');
    await pressUntil(page, 'Tab', (x) => x.dialog === 'forward-picker' && x.tag === 'input' && x.label.endsWith('Picnic'), 3);
    await page.keyboard.press('Space');
    assert.equal(await picker.getByRole('checkbox').first().isChecked(), true);
    await pressUntil(page, 'Tab', (x) => x.dialog === 'forward-picker' && x.name === 'Forward to 1 chat', 3);
    await screenshot(page, 'keyboard-forward-picker');
    await page.keyboard.press('Enter');
    await picker.waitFor({ state: 'detached' });
    // One target: the group opens with the forwarded message.
    await page.getByRole('heading', { name: 'Picnic', level: 2 }).waitFor();
    await page.getByTestId('message').filter({ hasText: 'Lunch at noon?' }).getByTestId('forwarded').filter({ hasText: 'Forwarded from Zed Zimmer' }).waitFor();
    await waitFor(() => zed.client.timeline(picnic.chatId).some((i) => i.text === 'Lunch at noon?' && i.forwarded?.from?.userId === zed.userId), { what: 'zed sees the forward in the group', timeoutMs: 20_000 });

    // The link dialog: Enter on the link asks first, with the focus inside and the real target shown.
    await pressUntil(page, 'Shift+Tab', (x) => rowOf(x, 'Zed Zimmer'), 60);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Zed Zimmer', level: 2 }).waitFor();
    await toComposer(page);
    await pressUntil(page, 'Shift+Tab', (x) => x.tag === 'a' && x.name === 'guide', 60);
    await page.keyboard.press('Enter');
    const confirm = page.getByTestId('link-confirm');
    await confirm.waitFor();
    f = await focused(page);
    assert.equal(f.dialog, 'link-confirm', `the focus is in the dialog (${f.tag} ${f.name})`);
    assert.notEqual(f.outline.split(' ')[0], 'none', 'and visible');
    assert.equal(await page.getByTestId('link-confirm-url').textContent(), target);
    await screenshot(page, 'keyboard-link-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    f = await focused(page);
    assert.deepEqual([f.tag, f.name], ['a', 'guide'], 'Escape: nothing opened, the focus back on the link');
    assert.equal(context.pages().length, 1);
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await pressUntil(page, 'Tab', (x) => x.dialog === 'link-confirm' && x.name === 'Open link', 3);
    const opened = context.waitForEvent('page');
    await page.keyboard.press('Enter');
    const tab = await opened;
    await waitFor(() => tab.url() === target, { what: `the link opens in a new tab (${tab.url()})`, timeoutMs: 10_000 });
    await confirm.waitFor({ state: 'detached' });
    await tab.close();
    await context.close();
  });

  it('with reduced motion nothing animates: every rule that animates or transitions is off (computed styles), on the real screens too', async () => {
    const { context, page } = await personPage(browser);
    await page.goto(url);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    /** Every style rule that animates (outside @media), probed with an element of its classes. */
    const probe = () => page.evaluate(() => {
      const found: { selector: string; animation: string; transition: string }[] = [];
      for (const sheet of [...document.styleSheets]) {
        for (const rule of [...sheet.cssRules]) {
          if (!(rule instanceof CSSStyleRule)) continue;
          const st = rule.style;
          const moves = (st.animationName !== '' && st.animationName !== 'none') || st.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
          if (!moves) continue;
          for (const selector of rule.selectorText.split(',').map((x) => x.trim())) {
            const last = selector.split(/[\s>+~]+/).pop()!.replace(/::?[\w-]+(\([^)]*\))?/g, '');
            const el = document.createElement(/^[a-z]+/.exec(last)?.[0] ?? 'div');
            el.className = (last.match(/\.[\w-]+/g) ?? []).map((c) => c.slice(1)).join(' ');
            document.body.append(el);
            const cs = getComputedStyle(el);
            found.push({ selector, animation: cs.animationName, transition: cs.transitionDuration });
            el.remove();
          }
        }
      }
      return found;
    });
    const moving = (p: { animation: string; transition: string }) => p.animation !== 'none' || p.transition.split(',').some((d) => parseFloat(d) > 0);

    await page.emulateMedia({ reducedMotion: 'no-preference' });
    const normal = await probe();
    // The app animates its spinner, the recording dot and the upload bar: the probe finds them moving.
    for (const s of ['.spinner', '.rec-dot', '.upload-fill']) {
      assert.ok(normal.some((p) => p.selector === s && moving(p)), `${s} animates without reduced motion: ${JSON.stringify(normal)}`);
    }

    await page.emulateMedia({ reducedMotion: 'reduce' });
    const reduced = await probe();
    assert.equal(reduced.length, normal.length);
    assert.deepEqual(reduced.filter(moving), [], 'with reduced motion no rule animates or transitions');

    // On screens: sign up, a chat open, Settings; nothing runs an animation.
    const handle = uniqueHandle('rae');
    await signUp(page, url, 'Rae Rest', handle);
    const rae = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(rae.userId);
    await zed.client.sendText(direct.chatId, 'Quiet please');
    await page.getByTestId('chat-row').filter({ hasText: 'Quiet please' }).click();
    await page.getByTestId('message').filter({ hasText: 'Quiet please' }).waitFor();
    assert.equal(await page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches), true);
    assert.deepEqual(await page.evaluate(() => document.getAnimations().map((a) => String((a as CSSAnimation).animationName ?? a.id))), [], 'no animation runs in the chat');
    await page.goto(`${url}/#/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    assert.deepEqual(await page.evaluate(() => document.getAnimations().length), 0, 'nor in Settings');
    await context.close();
  });
});
