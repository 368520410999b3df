import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What fails a screen: axe's serious and critical findings. */
const FAILING = new Set(['serious', 'critical']);

/**
 * Runs axe-core (injected into the page as is) on what the page shows now and returns its serious
 * and critical violations, one readable line per element.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the app's CSP (Trusted Types, no inline scripts) stays on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResults> } })
    .axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((v: Result) => FAILING.has(v.impact ?? ''))
    .flatMap((v: Result) => v.nodes.map((n) => `${v.impact} ${v.id}: ${n.target.join(' ')} — ${(n.failureSummary ?? v.help).replace(/\s+/g, ' ')}`));
}

/** Collects axe's findings over a test's screens (`await axe(page, 'screen name')`), to assert once at the end that `found` is empty. */
export function axeLog(): { found: string[]; axe: (page: Page, name: string) => Promise<void> } {
  const found: string[] = [];
  return { found, axe: async (page, name) => { found.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`)); } };
}
