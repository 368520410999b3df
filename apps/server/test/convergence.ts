import assert from 'node:assert/strict';
import type { TestUser } from '@parley/testing';
import { waitFor } from '@parley/testing';

/**
 * The end state every reliability test checks: each user's device holds the same log of the chat
 * (same seqs, same ids, same order, no gaps, no duplicates) and it contains every message each
 * sender typed, exactly once, in the order typed.
 */
export async function assertConverged(users: TestUser[], chatId: string, typed: Map<string, string[]>, timeoutMs = 60_000): Promise<void> {
  await waitFor(() => users.every((u) => u.client.outbox().length === 0), { timeoutMs, what: 'all outboxes empty' });
  // The target is the server's last seq, read again on each look: a target taken once from the devices' own
  // logs was stale whenever they all still lagged behind the server at that moment (seen in CI: target 169,
  // every device later at 224, so "all at 169" never came true).
  let target = 0;
  await waitFor(async () => {
    target = (await users[0]!.client.getChat(chatId)).lastSeq;
    return users.every((u) => u.client.log(chatId).at(-1)?.seq === target);
  }, { timeoutMs, intervalMs: 250, what: 'all devices at the same seq' }).catch((err: unknown) => {
    // Why a device stays behind: where each one is and its connection.
    const where = users.map((u) => ({ handle: u.handle, lastSeq: u.client.log(chatId).at(-1)?.seq, held: u.client.log(chatId).length, connection: u.client.connectionState, outbox: u.client.outbox().length }));
    throw new Error(`all devices at the same seq (${target}): ${JSON.stringify(where)}`, { cause: err });
  });
  for (const u of users) {
    while (u.client.hasOlder(chatId)) await u.client.loadOlder(chatId);
  }
  const reference = users[0]?.client.log(chatId) ?? [];
  assert.deepEqual(reference.map((m) => m.seq), Array.from({ length: reference.length }, (_, i) => i + 1), 'no gaps');
  for (const u of users) {
    assert.deepEqual(u.client.log(chatId).map((m) => `${m.seq}:${m.clientMsgId}`), reference.map((m) => `${m.seq}:${m.clientMsgId}`), `${u.handle} sees the same log`);
  }
  const ids = reference.map((m) => m.clientMsgId);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  const viewer = users[0];
  if (!viewer) return;
  const texts = viewer.client.timeline(chatId).filter((i) => !i.system);
  for (const [userId, sent] of typed) {
    const got = texts.filter((i) => i.senderUserId === userId).map((i) => i.text);
    assert.deepEqual(got, sent, `every message of ${userId} exactly once, in the order typed`);
  }
}

export interface ChatUnderTest {
  chatId: string;
  members: TestUser[];
}

/**
 * Every member of every chat types messages in a loop (a pause of `pauseMs` plus up to as much
 * again between two) until `stop()`; then `assertAllConverged` checks each chat got all of them.
 */
export function startTraffic(chats: ChatUnderTest[], pauseMs: number) {
  const typed = new Map(chats.map((c) => [c.chatId, new Map<string, string[]>(c.members.map((u) => [u.userId, []]))]));
  let sending = true;
  const loops = chats.flatMap((c) => c.members.map(async (u, k) => {
    for (let n = 0; sending; n++) {
      const text = `${k}:${n}`;
      await u.client.sendText(c.chatId, text);
      typed.get(c.chatId)!.get(u.userId)!.push(text);
      await new Promise((r) => setTimeout(r, pauseMs + Math.random() * pauseMs));
    }
  }));
  return {
    /** How many messages were typed so far, in all chats. */
    get total(): number {
      return [...typed.values()].reduce((a, m) => a + [...m.values()].reduce((b, l) => b + l.length, 0), 0);
    },
    async stop(): Promise<void> {
      sending = false;
      await Promise.all(loops);
    },
    async assertAllConverged(timeoutMs = 90_000): Promise<void> {
      for (const c of chats) await assertConverged(c.members, c.chatId, typed.get(c.chatId)!, timeoutMs);
    },
  };
}
