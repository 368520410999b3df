import { MLS_SCHEDULED_EXPORTER_LABEL, type Content, type Message } from '@parley/protocol';
import { MlsScheduledBody, MlsScheduledSigned } from '@parley/protocol/channel-schemas';
import { openEpochKey, openPost, sealEpochKey, sealPost, drawEpochKey } from '../channels/epoch-keys.ts';
import { WRAPPED_SCHEDULE_TOLERANCE_MS } from '../channels/wrapped-schedule.ts';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import { loadCiphersuite, type MlsCiphersuite } from '../mls/ciphersuite.ts';
import type { MlsMember } from '../mls/group-session.ts';
import type { MlsIdentity } from '../mls/identity.ts';
import type { DecodedEnvelope } from '../store.ts';

/**
 * R191: a scheduled post of a private channel in MLS mode. Not an MLS application message (a message
 * sealed at one generation of the sender's ratchet and released after more than ts-mls keeps would not
 * open): the post is sealed under a key from the chat's MLS exporter at the current epoch (label
 * MLS_SCHEDULED_EXPORTER_LABEL, context the schedule id) and signed by its author's device (its leaf key,
 * the one its key log binds); a copy goes sealed to each of the author's devices (R141's wraps), so any of
 * them re-seals it under a later epoch. The server appends it only while the chat is at that epoch.
 */
const utf8 = (s: string) => new TextEncoder().encode(s);
/** The exporter key is 16 bytes (AES-128-GCM, as R142's posts). */
const KEY_BYTES = 16;
const sealedContext = (chatId: string, scheduleId: string) => `mls-scheduled/${chatId}/${scheduleId}`;
const copyContext = (chatId: string, scheduleId: string) => `mls-scheduled-copy/${chatId}/${scheduleId}`;
export const scheduledSigningBytes = (signed: string): Uint8Array => utf8(`parley-mls-scheduled-sig-v1\n${signed}`);

/** The part of a group a scheduled post is sealed and opened with: its epoch, exporter and leaves. */
export interface ScheduledGroup {
  readonly epoch: bigint;
  members(): MlsMember[];
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array>;
}

export const scheduledKey = (group: Pick<ScheduledGroup, 'exportSecret'>, scheduleId: string): Promise<Uint8Array> =>
  group.exportSecret(MLS_SCHEDULED_EXPORTER_LABEL, utf8(scheduleId), KEY_BYTES);

/**
 * Seals and signs `text` for `date` under the exporter key `key` of `epoch`; `authorDevices` (this user's
 * devices with their key-log keys) get the copy. Returns the body the server stores (base64).
 */
export async function sealScheduled(input: {
  key: Uint8Array; identity: MlsIdentity; chatId: string; epoch: number; scheduleId: string; date: number; text: string;
  authorDevices: readonly { deviceId: string; mlsSignatureKey: string }[];
}): Promise<string> {
  const { identity, chatId, epoch, scheduleId } = input;
  const plain: MlsScheduledSigned = { v: 1, chatId, epoch, scheduleId, userId: identity.userId, deviceId: identity.deviceId, date: input.date, text: input.text };
  const signed = JSON.stringify(plain);
  const cs = await loadCiphersuite(identity.ciphersuite);
  const signature = bytesToBase64(await cs.signature.sign(identity.signaturePrivateKey, scheduledSigningBytes(signed)));
  const inner = utf8(JSON.stringify({ signed, signature }));
  const sealed = await sealPost(input.key, sealedContext(chatId, scheduleId), epoch, inner);
  const copyKey = drawEpochKey();
  const wraps: Record<string, string> = {};
  for (const d of input.authorDevices) {
    wraps[d.deviceId] = bytesToBase64(await sealEpochKey(copyKey, base64ToBytes(d.mlsSignatureKey), { communityId: copyContext(chatId, scheduleId), epoch: 0, userId: identity.userId, deviceId: d.deviceId }));
  }
  const body: MlsScheduledBody = { v: 1, epoch, sealed: bytesToBase64(sealed), copy: { box: bytesToBase64(await sealPost(copyKey, copyContext(chatId, scheduleId), 0, inner)), wraps } };
  return bytesToBase64(utf8(JSON.stringify(body)));
}

function parseBody(body: string): MlsScheduledBody | undefined {
  try {
    const parsed = MlsScheduledBody.safeParse(JSON.parse(new TextDecoder().decode(base64ToBytes(body))));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For a device of the author: the signed post from the copy sealed to this device (its text and time),
 * so it can be sealed again under the current epoch. Only this user's own words: the copy must carry a
 * signature by one of this user's devices (`signerKey`: its key-log key), else undefined.
 */
export async function openScheduledCopy(body: string, identity: MlsIdentity, chatId: string, scheduleId: string,
  signerKey: (deviceId: string) => Promise<string | undefined>): Promise<MlsScheduledSigned | undefined> {
  const b = parseBody(body);
  const wrap = b?.copy.wraps[identity.deviceId];
  if (!b || !wrap) return undefined;
  try {
    const c = { communityId: copyContext(chatId, scheduleId), epoch: 0, userId: identity.userId, deviceId: identity.deviceId };
    const copyKey = await openEpochKey(base64ToBytes(wrap), identity.signaturePrivateKey, identity.signaturePublicKey, c);
    // Anyone can seal to a device's public key: the copy counts only with its author's signature.
    const outer = JSON.parse(new TextDecoder().decode(await openPost(copyKey, copyContext(chatId, scheduleId), 0, base64ToBytes(b.copy.box)))) as { signed?: unknown; signature?: unknown };
    if (typeof outer.signed !== 'string' || typeof outer.signature !== 'string') return undefined;
    const plain = MlsScheduledSigned.safeParse(JSON.parse(outer.signed));
    if (!plain.success || plain.data.userId !== identity.userId || plain.data.chatId !== chatId || plain.data.scheduleId !== scheduleId) return undefined;
    const key = await signerKey(plain.data.deviceId);
    const cs = await loadCiphersuite(identity.ciphersuite);
    if (!key || !(await cs.signature.verify(base64ToBytes(key), scheduledSigningBytes(outer.signed), base64ToBytes(outer.signature)))) return undefined;
    return plain.data;
  } catch {
    return undefined;
  }
}

/**
 * A reader at the entry's position in the log (so its group is at the epoch the server checked; `joinedEpoch`:
 * the epoch this device joined at): derives
 * the key, opens the post, checks the signature against the sender's leaf in this epoch's tree and that it
 * names this chat, epoch, schedule id and sender. Shown at its signed date; `early` when served more than
 * R115's tolerance before that date by this device's clock, or stamped so by the server.
 */
export async function openScheduledEntry(group: ScheduledGroup, ciphersuite: MlsCiphersuite, chatId: string, m: Message, now: number, joinedEpoch = 0): Promise<DecodedEnvelope> {
  const tampered = (detail: string): DecodedEnvelope => ({ kind: 'unreadable', reason: 'tampered', detail });
  const b = m.envelope && parseBody(m.envelope.payload);
  if (!b) return tampered('scheduled_malformed');
  const scheduleId = m.clientMsgId;
  const epoch = Number(group.epoch);
  // An older entry read after the group moved on (scrolled back to, or from before this device joined): its exporter secret is gone, as an old message's keys.
  if (b.epoch < joinedEpoch) return { kind: 'unreadable', reason: 'before_join' };
  if (b.epoch < epoch) return { kind: 'unreadable', reason: 'keys_gone' };
  if (b.epoch !== epoch) return tampered('scheduled_wrong_epoch');
  let outer: { signed?: unknown; signature?: unknown };
  try {
    const inner = await openPost(await scheduledKey(group, scheduleId), sealedContext(chatId, scheduleId), epoch, base64ToBytes(b.sealed));
    outer = JSON.parse(new TextDecoder().decode(inner)) as typeof outer;
  } catch {
    return tampered('scheduled_does_not_open');
  }
  if (typeof outer.signed !== 'string' || typeof outer.signature !== 'string') return tampered('scheduled_malformed');
  let plain: MlsScheduledSigned;
  try {
    const parsed = MlsScheduledSigned.safeParse(JSON.parse(outer.signed));
    if (!parsed.success) return tampered('scheduled_malformed');
    plain = parsed.data;
  } catch {
    return tampered('scheduled_malformed');
  }
  if (plain.chatId !== chatId || plain.epoch !== epoch || plain.scheduleId !== scheduleId || plain.userId !== m.senderUserId || plain.deviceId !== m.senderDeviceId) {
    return tampered('scheduled_misplaced');
  }
  const leaf = group.members().find((x) => x.userId === plain.userId && x.deviceId === plain.deviceId);
  if (!leaf) return tampered('scheduled_signer_not_in_group');
  const cs = await loadCiphersuite(ciphersuite);
  if (!(await cs.signature.verify(leaf.signaturePublicKey, scheduledSigningBytes(outer.signed), base64ToBytes(outer.signature)))) return tampered('scheduled_bad_signature');
  const early = plain.date > now + WRAPPED_SCHEDULE_TOLERANCE_MS || plain.date > m.sentAt + WRAPPED_SCHEDULE_TOLERANCE_MS;
  const content: Content = { kind: 'text', text: plain.text };
  return { kind: 'content', content, scheduled: { date: plain.date, ...(early ? { early: true as const } : {}) } };
}
