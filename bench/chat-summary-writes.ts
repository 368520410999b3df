/**
 * What a big chat's summary costs the client to keep, per event (issue 12): every `receipt` frame
 * (each member's devices send delivered and read receipts for every message) and every summary the
 * server sends (`chat` frames: a join, a role change) was written whole to the store, a 1,000- or
 * 5,000-member list each time. Measures, through the SDK's own MemoryStore and ServerEvents receipt
 * path (no server):
 *   - `putChatMs`: one MemoryStore.putChat of the summary;
 *   - `receiptStormMs`: the CPU time of taking in one read receipt from every member (N frames,
 *     as after a message everyone reads), including the store writes they cause, until written.
 *
 *   node --import tsx bench/chat-summary-writes.ts [members=1000,5000]
 */
import type { ChatSummary, Member, ServerFrame } from '@parley/protocol';
import { MemoryStore } from '../packages/client/src/stores/memory-store.ts';
import { ServerEvents } from '../packages/client/src/server-events.ts';
import type { ClientCore } from '../packages/client/src/client-core.ts';

const sizes = (process.argv[2] ?? '1000,5000').split(',').map(Number);

function summary(n: number): ChatSummary {
  const members: Member[] = Array.from({ length: n }, (_, i) => ({
    userId: `usr_${String(i).padStart(20, '0')}`, handle: `resident${i}`, displayName: `Resident ${i}`,
    role: i === 0 ? 'owner' : 'member', deliveredSeq: 1200, readSeq: 1100,
  }));
  return {
    chatId: 'chat_general', kind: 'group', name: 'General', color: '#336699', members, lastSeq: 1234, unread: 0, createdAt: 1, mlsEpoch: 77,
    community: { communityId: 'comm_x', kind: 'general', mayPost: true, moderators: [{ userId: members[0]!.userId, rights: ['ban', 'pin'] }] },
  };
}

/** Counts MemoryStore's writes. */
class CountingStore extends MemoryStore {
  writes = 0;
  override async putChat(chat: ChatSummary): Promise<void> {
    this.writes += 1;
    return super.putChat(chat);
  }
}

for (const n of sizes) {
  const chat = summary(n);
  const store = new CountingStore();
  for (let i = 0; i < 20; i++) await store.putChat(chat);
  const k = n >= 5000 ? 40 : 200;
  let t = performance.now();
  for (let i = 0; i < k; i++) await store.putChat(chat);
  const putChatMs = (performance.now() - t) / k;

  // The receipt path as the client takes it: ServerEvents.frame -> applyReceipt -> store.
  const chats = new Map([[chat.chatId, chat]]);
  store.writes = 0;
  const core = { chats, options: { store }, changed: () => undefined, conn: { request: async () => ({}) }, stopped: () => false, api: {}, keys: {} } as unknown as ClientCore;
  const events = new ServerEvents(core, {} as never);
  const frames: ServerFrame[] = chat.members.map((m) => ({ type: 'receipt', chatId: chat.chatId, userId: m.userId, kind: 'read', upToSeq: 1234 }) as ServerFrame);
  const cpu0 = process.cpuUsage();
  t = performance.now();
  for (const f of frames) {
    events.frame(f);
    await new Promise((r) => setImmediate(r)); // each frame is its own socket message
  }
  const flush = (events as unknown as { flushWrites?: () => Promise<void> }).flushWrites;
  if (flush) await flush.call(events);
  const wallMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  if (!chat.members.every((m) => m.readSeq === 1234)) throw new Error('receipts not applied');
  console.log(JSON.stringify({
    bench: 'chat-summary-writes', members: n, putChatMs: +putChatMs.toFixed(3),
    receiptStorm: { receipts: frames.length, storeWrites: store.writes, cpuMs: Math.round((cpu.user + cpu.system) / 1000), wallMs: Math.round(wallMs) },
  }));
}
process.exit(0);
