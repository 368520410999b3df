import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const pollCard = (page: Page, question: string) => page.getByTestId('poll').filter({ hasText: question });
const row = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }) });
const resultTexts = async (page: Page, question: string) => (await pollCard(page, question).getByTestId('poll-result').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());

/** R87 polls in Debian's Chromium: Amy makes one in the form and votes in another; Zed and Yan vote through the SDK. */
describe('polls in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  let yan: TestUser | undefined;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => { await yan?.client.stop(); await closeWebWorld({ server, browser, zed }); });

  it('R87 a poll made in the form gets three votes; results show percentages and names; an anonymous multiple-choice poll shows counts only; closing it stops the vote', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    yan = await createUser(url, { displayName: 'Yan Yu', handle: uniqueHandle('yan') });
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const group = await zed.client.createGroup({ name: 'Entrance 2', memberIds: [amy.userId, yan.userId] });
    const people = [zed, yan];
    await waitFor(() => people.every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'the group is encrypted', timeoutMs: 30_000 });
    await row(page, 'Entrance 2').click();
    await page.getByRole('heading', { name: 'Entrance 2' }).waitFor({ timeout: 30_000 });

    // Amy makes a poll: question, a third option, closes in a day.
    await page.getByTestId('poll-new').click();
    const form = page.getByTestId('poll-dialog');
    await form.waitFor();
    await form.getByTestId('poll-question').fill('When shall we clean the yard?');
    await form.getByTestId('poll-add-option').click();
    const options = form.getByTestId('poll-option');
    for (const [i, text] of ['Saturday morning', 'Sunday morning', 'Next weekend'].entries()) await options.nth(i).fill(text);
    await form.getByRole('combobox').selectOption('day');
    await screenshot(page, '90-poll-form');
    assert.deepEqual(await axeViolations(page), []);
    await form.getByTestId('poll-send').click();
    await form.waitFor({ state: 'detached' });
    const question = 'When shall we clean the yard?';
    await pollCard(page, question).waitFor({ timeout: 30_000 });
    let pollId = '';
    await waitFor(() => people.every((u) => (pollId = u.client.timeline(group.chatId).find((i) => i.poll?.question === question)?.id ?? '') !== ''), { what: 'zed and yan see the poll', timeoutMs: 30_000 });
    const seen = zed.client.timeline(group.chatId).find((i) => i.id === pollId)?.poll;
    assert.deepEqual(seen?.options.map((o) => o.text), ['Saturday morning', 'Sunday morning', 'Next weekend']);
    assert.ok(seen?.closesAt !== undefined && Math.abs(seen.closesAt - (Date.now() + 86_400_000)) < 600_000, 'closes in about a day');

    // Zed and Yan vote; Amy votes with a tap and sees the results.
    await zed.client.polls.vote(group.chatId, pollId, [0]);
    await yan.client.polls.vote(group.chatId, pollId, [1]);
    await pollCard(page, question).getByTestId('poll-total').getByText('2 votes').waitFor({ timeout: 30_000 });
    await pollCard(page, question).getByRole('radio', { name: 'Saturday morning' }).click();
    await pollCard(page, question).getByTestId('poll-total').getByText('3 votes').waitFor({ timeout: 30_000 });
    assert.deepEqual(await resultTexts(page, question), ['67% Saturday morning (your choice) 2 Zed Zimmer, Amy Adams', '33% Sunday morning 1 Yan Yu', '0% Next weekend 0']);
    await waitFor(() => JSON.stringify(yan?.client.timeline(group.chatId).find((i) => i.id === pollId)?.poll?.options.map((o) => o.votes)) === '[2,1,0]', { what: 'yan counts amy\'s vote', timeoutMs: 30_000 });
    await screenshot(page, '91-poll-results');
    assert.deepEqual(await axeViolations(page), []);

    // Zed's anonymous multiple-choice poll: Amy ticks two and votes; counts, no names.
    const anon = 'Which repairs first?';
    const anonId = await zed.client.polls.create(group.chatId, { question: anon, options: ['Lift', 'Roof', 'Doors'], multiple: true, anonymous: true });
    await pollCard(page, anon).waitFor({ timeout: 30_000 });
    // Yan votes from his own device, once the poll has reached it (Amy's page showing it says nothing of his).
    await waitFor(() => yan?.client.timeline(group.chatId).some((i) => i.id === anonId) === true, { what: 'the poll on yan\'s device', timeoutMs: 30_000 });
    await yan.client.polls.vote(group.chatId, anonId, [1]);
    await pollCard(page, anon).getByRole('checkbox', { name: 'Lift' }).check();
    await pollCard(page, anon).getByRole('checkbox', { name: 'Roof' }).check();
    await pollCard(page, anon).getByTestId('poll-vote').click();
    await waitFor(async () => (await resultTexts(page, anon)).join('|') === '50% Lift (your choice) 1|100% Roof (your choice) 2|0% Doors 0', { what: 'amy sees the anonymous counts', timeoutMs: 30_000 });
    await pollCard(page, anon).getByText('Anonymous poll · several answers').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '92-poll-anonymous-dark');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'light' });

    // Amy closes her poll; Yan's later vote does not count, and Amy's card says it is closed.
    page.once('dialog', (d) => void d.accept());
    await pollCard(page, question).getByTestId('poll-close').click();
    await waitFor(() => people.every((u) => u.client.timeline(group.chatId).find((i) => i.id === pollId)?.poll?.closedAt !== undefined), { what: 'everyone sees it closed', timeoutMs: 30_000 });
    await pollCard(page, question).getByText(/closed/).waitFor();
    await assert.rejects(yan.client.polls.vote(group.chatId, pollId, [2]));
    assert.equal(await pollCard(page, question).getByTestId('poll-close').count(), 0, 'nothing to close any more');
    // The chat list shows the latest poll's question.
    await row(page, 'Entrance 2').getByText('📊 Which repairs first?').waitFor({ timeout: 30_000 });
    await screenshot(page, '93-poll-closed');
  });
});
