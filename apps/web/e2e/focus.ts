import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

// Keyboard-only tests' view of the focus (keyboard.e2e.ts, keyboard-menus.e2e.ts).

/** What has the keyboard focus: its accessible name (aria-label, else text) and whether focus is visible. */
export async function focused(page: Page): Promise<{ name: string; label: string; tag: string; role: string; dialog: string; inMessage: string; outline: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const msg = el?.closest('[data-testid="message"]');
    const style = el ? getComputedStyle(el) : undefined;
    return {
      name: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(),
      label: ((el as HTMLInputElement | null)?.labels?.[0]?.textContent ?? '').trim(),
      tag: el?.tagName.toLowerCase() ?? '',
      role: el?.getAttribute('role') ?? '',
      dialog: el?.closest('dialog')?.getAttribute('data-testid') ?? '',
      inMessage: msg?.querySelector('.text')?.textContent ?? '',
      outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
    };
  });
}

/** Presses `key` until the focused element matches (at most `max` presses); fails with where focus went. */
export async function pressUntil(page: Page, key: string, want: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 40): Promise<void> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    path.push(`${f.tag}:${f.name.slice(0, 30)}`);
    if (want(f)) {
      assert.notEqual(f.outline.split(' ')[0], 'none', `focus on "${f.name}" is visible`);
      return;
    }
  }
  assert.fail(`never reached the element with ${key}; went through: ${path.join(' | ')}`);
}
