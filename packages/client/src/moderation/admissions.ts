import { ADMIT_CONTEXT, type Content } from '@parley/protocol';
import { CodecWaiting, type ContentCodec } from '../codec.ts';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

/**
 * R152: an invite link's own Ed25519 key. The admin's device states its public half in the
 * community's announcements chat; the private half (its 32-byte seed) travels in the link after the
 * server's token, so the server, which sees only the token, can't prove it opened the link.
 */
export type AdmitStatement = Extract<Content, { kind: 'community_admit' }>;

const utf8 = new TextEncoder();
/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): Web Crypto imports private keys only so. */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

const toUrl = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromUrl = (b64url: string) => base64ToBytes(b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4));

/** A fresh link key: `seed` goes in the link, `publicKey` into the announcements chat (both base64url). */
export async function newInviteKey(): Promise<{ seed: string; publicKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { seed: toUrl(bytesToBase64(pkcs8.slice(-32))), publicKey: toUrl(bytesToBase64(publicKey)) };
}

/** The joiner's proof: the link key signs the community and the joiner's user id. */
export async function signAdmission(seed: string, keySeq: number, communityId: string, userId: string): Promise<NonNullable<AdmitStatement['proof']>> {
  const raw = fromUrl(seed);
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + raw.length);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(raw, PKCS8_PREFIX.length);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', key);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, utf8.encode(`${ADMIT_CONTEXT}${communityId}\n${userId}`) as BufferSource));
  return { inviteKey: jwk.x ?? '', keySeq, signature: toUrl(bytesToBase64(signature)) };
}

/** Whether a proof is the link key's signature for this sender; false for anything malformed. */
export async function admissionVerifies(proof: NonNullable<AdmitStatement['proof']>, communityId: string, senderUserId: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', fromUrl(proof.inviteKey) as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, fromUrl(proof.signature) as BufferSource, utf8.encode(`${ADMIT_CONTEXT}${communityId}\n${senderUserId}`) as BufferSource);
  } catch {
    return false;
  }
}

/**
 * An invite link's token as the SDK hands it out: the server's token, then (end-to-end encrypted
 * communities, R152) `.seed.keySeq`. The server is only ever sent its own part.
 */
export function inviteToken(serverToken: string, key?: { seed: string; keySeq: number }): string {
  return key ? `${serverToken}.${key.seed}.${key.keySeq}` : serverToken;
}

export function parseInviteToken(token: string): { serverToken: string; key?: { seed: string; keySeq: number } } {
  const [serverToken = '', seed, keySeq] = token.split('.');
  const seq = Number(keySeq);
  return seed && Number.isSafeInteger(seq) && seq >= 0 ? { serverToken, key: { seed, keySeq: seq } } : { serverToken };
}

/**
 * R152: the codec, made to hold (CodecWaiting: the outbox keeps it, shown as sending, and tries it
 * again when the chat or its announcements chat changes) a chat's messages while someone no admin admitted is in it. Admissions themselves go out: they are what ends a hold.
 * So do the owner's rights statements (R159).
 */
export function admissionHold(codec: ContentCodec, notAdmitted: (chatId: string) => readonly string[]): ContentCodec {
  return {
    encode: async (chatId, content, options) => {
      // R159: nor the owner's rights statements, which admins' held actions wait for (the summary tells every member the standing anyway).
      const who = content.kind === 'community_admit' || content.kind === 'community_rights' ? [] : notAdmitted(chatId);
      if (who.length > 0) throw new CodecWaiting(`someone no admin admitted is in the chat (${who.join(', ')}): nothing is sent there while they are`);
      return codec.encode(chatId, content, options);
    },
    decodeBatch: (chatId, messages, own, persist) => codec.decodeBatch(chatId, messages, own, persist),
  };
}
