/**
 * R152/R159: how long a held action (here an admin's deletion of someone else's message, held for the
 * owner's signed statement of `deleteMessages`) waits after the statement reaches the device's log,
 * through the SDK's real Outbox and rights hold (plaintext codec, in-memory store, no server). The
 * statement arrives at a random moment of the hold; the change is announced as the client does when it
 * applies log entries (`Outbox.chatChanged`, called by ChatViews.invalidate; absent in older SDKs,
 * which re-judged on a 1 s timer). Also counts how often the held action was judged while it waited (per held second).
 *
 *   node --import tsx bench/held-wake.ts [trials=40]
 */
import type { ChatSummary, Content, Message, ServerFrameOf } from '@parley/protocol';
import type { ContentCodec } from '../packages/client/src/codec.ts';
import { rightsHold } from '../packages/client/src/moderation/rights-hold.ts';
import type { OwnStanding } from '../packages/client/src/moderation/rights-in-log.ts';
import { Outbox } from '../packages/client/src/outbox.ts';
import { MemoryStore } from '../packages/client/src/stores/memory-store.ts';
import { foldTimeline } from '../packages/client/src/timeline.ts';

const trials = Number(process.argv[2] ?? 40);
const member = (userId: string, role: 'owner' | 'admin' | 'member') => ({ userId, handle: userId, displayName: userId, role, deliveredSeq: 0, readSeq: 0 });
const summary: ChatSummary = {
  chatId: 'chat_general', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1,
  members: [member('ann', 'owner'), member('ben', 'admin'), member('cat', 'member')],
  community: { communityId: 'comm_house', kind: 'general', mayPost: true, moderators: [{ userId: 'ann', rights: ['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin'] }, { userId: 'ben', rights: ['deleteMessages'] }] },
};
type Entry = [id: string, sender: string, what: Content | Message['system']];
const granted: Entry[] = [
  ['sta_ann01', 'ann', { kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators: [] }],
  ['msg_cat01', 'cat', { kind: 'text', text: 'buy my stuff' }],
  ['mod_srv01', 'ann', { kind: 'moderation', action: 'rights_changed', userId: 'ben', role: 'admin', rights: ['deleteMessages'], before: { role: 'admin', rights: [] } }],
];
const statement: Entry = ['sta_ann02', 'ann', { kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators: [{ userId: 'ben', rights: ['deleteMessages'] }] }];

function standingOf(entries: Entry[]): OwnStanding | undefined {
  const messages = entries.map(([id, sender, what], i): Message => {
    const system = what && what.kind === 'moderation' ? what : null;
    return { chatId: summary.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: i, system, envelope: system ? null : { contentType: 'parley/mls-app', payload: '' } };
  });
  let own: OwnStanding | undefined;
  foldTimeline({
    chat: summary, myUserId: 'ben', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const w = entries.find(([id]) => id === m.clientMsgId)?.[2]; return w && w.kind !== 'moderation' ? { kind: 'content', content: w as Content } : undefined; },
    ownStanding: (s) => { own = s; },
  });
  return own;
}

async function trial(): Promise<{ delayMs: number; judged: number; heldMs: number }> {
  let log = granted;
  let judged = 0;
  let sentAt = 0;
  let sent!: () => void;
  const done = new Promise<void>((r) => { sent = r; });
  const plain: ContentCodec = { encode: async () => ({ contentType: 'parley/plain+json', payload: '' }), decodeBatch: async () => ({ decoded: [], groups: new Map() }) };
  const hold = rightsHold(plain, { userId: 'ben', chat: () => summary, standing: () => standingOf(log), senderOf: (_c, id) => log.find(([i]) => i === id)?.[1], waitMs: 30_000 });
  const outbox: Outbox = new Outbox({
    userId: 'ben', deviceId: 'ben_phone', store: new MemoryStore(), online: () => true,
    codec: { encode: (chatId, content, o) => { judged += 1; return hold.encode(chatId, content, o); }, decodeBatch: hold.decodeBatch },
    send: async () => { sentAt = performance.now(); sent(); return { type: 'ack', rid: 'r', seq: log.length + 1, sentAt: Date.now() } as ServerFrameOf<'ack'>; },
    receive: (m) => outbox.acked(m.chatId, new Set([m.clientMsgId])),
    prev: () => undefined, changed: () => undefined, notReady: () => undefined, held: () => undefined, onError: (e) => { throw e; },
  });
  const start = performance.now();
  await outbox.add(summary.chatId, { kind: 'delete', target: 'msg_cat01' });
  await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000)); // the statement comes 1-2 s after the action
  log = [...granted, statement];
  const arrived = performance.now();
  (outbox as unknown as { chatChanged?: (chatId: string) => void }).chatChanged?.(summary.chatId);
  await done;
  return { delayMs: sentAt - arrived, judged, heldMs: arrived - start };
}

const results: Awaited<ReturnType<typeof trial>>[] = [];
for (let i = 0; i < trials; i++) results.push(await trial());
const delays = results.map((r) => r.delayMs).sort((a, b) => a - b);
const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0;
// Judged before the statement came: the first try, then each timer's (or a change's) try while it was held.
const heldJudgedPerS = results.reduce((s, r) => s + r.judged - 1, 0) / (results.reduce((s, r) => s + r.heldMs, 0) / 1000);
console.log(JSON.stringify({
  bench: 'held-wake', trials, woken: typeof (Outbox.prototype as { chatChanged?: unknown }).chatChanged === 'function',
  delayMs: { mean: +(delays.reduce((a, b) => a + b, 0) / delays.length).toFixed(2), p50: +at(0.5).toFixed(2), p90: +at(0.9).toFixed(2), max: +at(1).toFixed(2) },
  judgedPerHeldSecond: +heldJudgedPerS.toFixed(2),
}));
process.exit(0);
