import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { frankingInput } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

/**
 * R83: message franking. The sending device picks a fresh 32-byte key per message, puts it in the
 * encrypted content and gives the server only the commitment HMAC-SHA256(key, frankingInput(...)).
 * A reporting device reveals text and key (R84); the server recomputes the commitment and compares
 * it with the one it kept for that log position.
 */
export async function frankingTag(key: string, chatId: string, clientMsgId: string, text: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey('raw', new Uint8Array(base64ToBytes(key)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(frankingInput(chatId, clientMsgId, text)))));
}

/** A new franking key and its commitment for a text about to be sent. */
export async function frank(chatId: string, clientMsgId: string, text: string): Promise<{ key: string; tag: string }> {
  const key = bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
  return { key, tag: await frankingTag(key, chatId, clientMsgId, text) };
}

const checked = new WeakMap<object, boolean>();

/**
 * R83b: whether a log entry's franking commitment (`tag`, delivered with the entry) opens with the key
 * and text inside its content: then a report of it will be accepted (R84). Synchronous, so the
 * timeline can fold with it; remembered per entry object (the store keeps them), so a chat's timeline
 * checks each message once.
 */
export function frankOpens(entry: object, tag: string | undefined, key: string, chatId: string, clientMsgId: string, text: string): boolean {
  const known = checked.get(entry);
  if (known !== undefined) return known;
  let holds = false;
  if (tag !== undefined) {
    const mac = hmac(sha256, base64ToBytes(key), new TextEncoder().encode(frankingInput(chatId, clientMsgId, text)));
    const expected = base64ToBytes(tag);
    holds = expected.length === mac.length && mac.every((b, i) => b === expected[i]);
  }
  checked.set(entry, holds);
  return holds;
}
