import { parseReceivedContent, type Content, type Message } from '@parley/protocol';
import type { ClientStore } from '../store.ts';

/** The plaintext of an application message (R30): `{v: 1, content, prev}`, prev being the sender device's previous message id. */
export function encodeAppPlaintext(content: Content, prev: string | null): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, content, prev }));
}

/** Undefined for anything but a well-formed R30 plaintext (the content checked against the schema). */
export function parseAppPlaintext(bytes: Uint8Array): { content: Content; prev: string | null } | undefined {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { v?: unknown; content?: unknown; prev?: unknown };
    const content = parseReceivedContent(json.content);
    const prev = json.prev === null || (typeof json.prev === 'string' && json.prev.length <= 64) ? json.prev : undefined;
    return json.v === 1 && content !== undefined && prev !== undefined ? { content, prev } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Per chat and sender device, the last message the log showed (id and seq, in meta `mls-chain:<chatId>`).
 * Returns true when the sender's `prev` names another message: one of that device's messages was
 * dropped or moved (R30). Every message of the device moves the chain, readable or not (`prev`
 * undefined); older ones (scroll-back) don't. Unknown before the first message seen from that device.
 */
export async function chainMoved(store: Pick<ClientStore, 'getMeta' | 'setMeta'>, m: Message, prev: string | null | undefined): Promise<boolean> {
  const key = `mls-chain:${m.chatId}`;
  const chains = JSON.parse((await store.getMeta(key)) ?? '{}') as Record<string, { id: string; seq: number }>;
  const sender = `${m.senderUserId}:${m.senderDeviceId}`;
  const last = chains[sender];
  if (last && m.seq <= last.seq) return false;
  chains[sender] = { id: m.clientMsgId, seq: m.seq };
  await store.setMeta(key, JSON.stringify(chains));
  return last !== undefined && prev !== undefined && prev !== last.id;
}
