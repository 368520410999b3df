import { createPublicKey, verify } from 'node:crypto';
import {
  CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT, ChannelKeyList, ChannelPostBody, ChannelScheduledBody, ParleyError, type SignedBlob,
} from '@parley/protocol';
import type { z } from 'zod';

/** SubjectPublicKeyInfo header of a raw Ed25519 key (RFC 8410): the DER Node wants before the 32 bytes. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Whether `signature` is the Ed25519 signature by `publicKey` (raw, base64) of `context + text`. */
export function verifies(publicKey: string, context: string, text: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(publicKey, 'base64')]), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(context + text, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function parseSigned<T extends z.ZodType>(schema: T, text: string, what: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ParleyError('channel_post_invalid', `${what}: the signed text is not JSON`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ParleyError('channel_post_invalid', `${what}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** R95b: the key list in `blob`, its signature checked against the owner key it names (the caller checks that key is the channel's). */
export function openKeyList(blob: SignedBlob): ChannelKeyList {
  const list = parseSigned(ChannelKeyList, blob.signed, 'key list');
  if (!verifies(list.owner, CHANNEL_KEYS_CONTEXT, blob.signed, blob.signature)) throw new ParleyError('channel_signature_invalid', 'the key list is not signed by its owner key');
  if (new Set(list.admins.map((a) => a.userId)).size !== list.admins.length) throw new ParleyError('channel_post_invalid', 'key list: an admin is listed twice');
  return list;
}

/** The key list as stored: parsed, trusted (it was checked when it was stored). */
export function storedKeyList(text: string): ChannelKeyList {
  return ChannelKeyList.parse(JSON.parse(text));
}

/** R96: the post version in `blob`, its signature checked against the key it names (the caller checks that key is the caller's and listed). */
export function openPost(blob: SignedBlob): ChannelPostBody {
  const body = parseSigned(ChannelPostBody, blob.signed, 'post');
  if (!verifies(body.signer, CHANNEL_POST_CONTEXT, blob.signed, blob.signature)) throw new ParleyError('channel_signature_invalid', 'the post is not signed by the key it names');
  return body;
}

/** R115: a scheduled post in `blob`, its signature checked against the key it names. */
export function openScheduled(blob: SignedBlob): ChannelScheduledBody {
  const body = parseSigned(ChannelScheduledBody, blob.signed, 'scheduled post');
  if (!verifies(body.signer, CHANNEL_POST_CONTEXT, blob.signed, blob.signature)) throw new ParleyError('channel_signature_invalid', 'the post is not signed by the key it names');
  return body;
}

/**
 * A stored post's body (checked when it was stored), for the public page and feed. A scheduled post
 * (R115) was signed without a position: it takes the one the server's log gave it, `seq`.
 */
export function storedPost(text: string, seq: number): ChannelPostBody {
  const value: unknown = JSON.parse(text);
  const scheduled = ChannelScheduledBody.safeParse(value);
  if (scheduled.success) {
    const { scheduled: _, ...body } = scheduled.data;
    return { ...body, postSeq: seq, seq, version: 1, pinned: false, deleted: false };
  }
  return ChannelPostBody.parse(value);
}
