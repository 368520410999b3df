import {
  CHANNEL_HEAD_CONTEXT, CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT, ChannelKeyList, type ChannelHeadBody, ChannelPostBody, ChannelScheduledBody,
  type ChannelAttachment, type ChannelEntry, type MessageEntity, type SignedBlob, type WrappedPoll,
} from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

const utf8 = new TextEncoder();

/** An admin's post-signing key on this device (R95b): Ed25519 through Web Crypto. */
export interface ChannelKey {
  /** Raw public key, base64 (what the key list names). */
  publicKey: string;
  privateKey: CryptoKey;
}

export async function generateChannelKey(): Promise<{ key: ChannelKey; jwk: JsonWebKey }> {
  // Extractable so the device keeps it in its own store (sealed where the store is); never sent anywhere.
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = bytesToBase64(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
  return { key: { publicKey, privateKey: pair.privateKey }, jwk: await crypto.subtle.exportKey('jwk', pair.privateKey) };
}

export async function importChannelKey(publicKey: string, jwk: JsonWebKey): Promise<ChannelKey> {
  return { publicKey, privateKey: await crypto.subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['sign']) };
}

async function sign(key: ChannelKey, context: string, value: unknown): Promise<SignedBlob> {
  const signed = JSON.stringify(value);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, utf8.encode(context + signed) as BufferSource));
  return { signed, signature: bytesToBase64(signature) };
}

export async function verifySigned(publicKey: string, context: string, blob: SignedBlob): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', base64ToBytes(publicKey) as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, base64ToBytes(blob.signature) as BufferSource, utf8.encode(context + blob.signed) as BufferSource);
  } catch {
    return false;
  }
}

export function signKeyList(owner: ChannelKey, list: ChannelKeyList): Promise<SignedBlob> {
  return sign(owner, CHANNEL_KEYS_CONTEXT, list);
}

export function signHead(key: ChannelKey, head: ChannelHeadBody): Promise<SignedBlob> {
  return sign(key, CHANNEL_HEAD_CONTEXT, head);
}

export function signPost(key: ChannelKey, body: ChannelPostBody | ChannelScheduledBody): Promise<SignedBlob> {
  return sign(key, CHANNEL_POST_CONTEXT, body);
}

/**
 * R115: how far before its signed time a scheduled post may be served before a reader calls it early
 * (clocks differ; the server's own check of immediate posts allows 10 minutes).
 */
export const SCHEDULE_TOLERANCE_MS = 10 * 60_000;

/** R115: a scheduled post's body as the position the log gave it: version 1 at `postSeq = seq`. */
function asPlaced(body: ChannelScheduledBody, seq: number): ChannelPostBody {
  const { scheduled: _, ...rest } = body;
  return { ...rest, postSeq: seq, seq, version: 1, pinned: false, deleted: false };
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, text: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * R95b: the channel's key list, if it holds: signed by the owner key it names, for this channel,
 * with the owner key this device pinned when it first read the channel (`pinnedOwner`), and not an
 * older version than one this device saw (`seenVersion`): a server can't swap the owner or roll back.
 */
export async function openKeyList(channelId: string, blob: SignedBlob, pinnedOwner: string | undefined, seenVersion: number): Promise<ChannelKeyList | string> {
  const list = parse(ChannelKeyList, blob.signed);
  if (!list) return 'the key list is malformed';
  if (list.channelId !== channelId) return 'the key list is for another channel';
  if (pinnedOwner !== undefined && list.owner !== pinnedOwner) return 'the owner key changed';
  if (list.version < seenVersion) return `the key list went back to version ${list.version} (this device saw ${seenVersion})`;
  if (!(await verifySigned(list.owner, CHANNEL_KEYS_CONTEXT, blob))) return 'the key list is not signed by the owner key';
  return list;
}

/** A post as this device shows it (R96). Only `verified: true` posts carry what was signed. */
export type ChannelPost =
  | {
    verified: true;
    channelId: string;
    postId: string;
    postSeq: number;
    seq: number;
    version: number;
    /** The signer's clock when this version was signed (ms). */
    date: number;
    text: string;
    entities?: MessageEntity[];
    /** R110: the photos and files the post signed (check each download with `fetchFile`). */
    attachments?: ChannelAttachment[];
    /** R198: the poll the post signed (votes: `client.channels.vote`, `pollVotes`). */
    poll?: WrappedPoll;
    /** R125: the log positions of this post's earlier versions (absent on version 1). */
    replaces?: number[];
    pinned: boolean;
    deleted: boolean;
    /** R96: an admin changed its text or files (a pin alone does not set it). */
    edited?: true;
    /** The admin whose key signed this version (from the key list). */
    signedBy: string;
    /**
     * R200: the author's name, as the owner signed it into the key list, when the list turns names on
     * ("sign messages"); absent when it is off: the post is then only "signed by the channel's admin".
     */
    author?: string;
    /** R115: signed for a later time (`date`) and placed in the log by the server when it came. */
    scheduled?: true;
  }
  | {
    /** Not shown as the channel's: the server (or someone) changed, forged, moved or re-dated it. */
    verified: false;
    seq: number;
    problem: string;
  };

/** R96: checks one entry against the verified key list: its signature, its signer, and that it sits where it was signed to. */
export async function openEntry(channelId: string, entry: ChannelEntry, list: ChannelKeyList, now: number): Promise<ChannelPost> {
  const fail = (problem: string): ChannelPost => ({ verified: false, seq: entry.seq, problem });
  const scheduled = parse(ChannelScheduledBody, entry.signed);
  // R115: a scheduled post was signed without a position: it sits where the log put it, and never before its time.
  if (scheduled && now < scheduled.date - SCHEDULE_TOLERANCE_MS) return fail('a scheduled post served before its time');
  const body = scheduled ? asPlaced(scheduled, entry.seq) : parse(ChannelPostBody, entry.signed);
  if (!body) return fail('malformed post');
  if (body.channelId !== channelId) return fail('signed for another channel');
  if (body.seq !== entry.seq) return fail(`served at seq ${entry.seq} but signed for seq ${body.seq} (moved)`);
  if (body.version === 1 && body.postSeq !== body.seq) return fail('a first version away from its own position');
  const admin = list.admins.find((a) => a.key === body.signer);
  if (!admin) return fail('signed by a key the channel\'s key list does not name');
  if (admin.untilSeq !== undefined && body.seq > admin.untilSeq) return fail(`signed by a retired key after it was retired (at seq ${admin.untilSeq})`);
  if (!(await verifySigned(body.signer, CHANNEL_POST_CONTEXT, entry))) return fail('the signature does not match (altered or forged)');
  return {
    verified: true, channelId, postId: body.postId, postSeq: body.postSeq, seq: body.seq, version: body.version, date: body.date,
    text: body.text, ...(body.entities ? { entities: body.entities } : {}), ...(body.attachments ? { attachments: body.attachments } : {}),
    ...(body.poll ? { poll: body.poll } : {}), ...(body.replaces ? { replaces: body.replaces } : {}), pinned: body.pinned, deleted: body.deleted, ...(body.edited ? { edited: true as const } : {}), signedBy: admin.userId,
    ...(list.signNames && admin.name ? { author: admin.name } : {}),
    ...(scheduled ? { scheduled: true as const } : {}),
  };
}

/**
 * R115: a scheduled post placed in the log before its time, proven without a clock: a post placed after
 * it (a higher seq) was signed, for that position, earlier than the scheduled time. Such entries are not verified.
 */
export function placedEarly(posts: readonly ChannelPost[]): ChannelPost[] {
  return posts.map((p) => {
    if (!p.verified || !p.scheduled) return p;
    const proof = posts.find((q) => q.verified && !q.scheduled && q.seq > p.seq && q.date < p.date - SCHEDULE_TOLERANCE_MS);
    return proof ? { verified: false, seq: p.seq, problem: `a scheduled post placed before its time (seq ${proof.seq}, after it, was signed earlier)` } : p;
  });
}
