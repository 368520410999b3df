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
