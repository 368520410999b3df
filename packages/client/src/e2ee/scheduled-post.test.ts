import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Message } from '@parley/protocol';
import { MlsScheduledBody } from '@parley/protocol/channel-schemas';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import { MlsIdentity } from '../mls/identity.ts';
import { openScheduledCopy, openScheduledEntry, scheduledKey, sealScheduled, type ScheduledGroup } from './scheduled-post.ts';

const MIN = 60_000;
const T = 1_800_000_000_000;
const chatId = 'chat_channel_1';

/** A group at one epoch: its exporter a hash of (epoch, label, context), its leaves the given identities. */
function group(epoch: bigint, leaves: readonly MlsIdentity[]): ScheduledGroup {
  return {
    epoch,
    members: () => leaves.map((l, leafIndex) => ({ userId: l.userId, deviceId: l.deviceId, leafIndex, signaturePublicKey: l.signaturePublicKey })),
    exportSecret: async (label, context, length) => {
      const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${epoch}|${label}|${bytesToBase64(context)}`));
      return new Uint8Array(digest).slice(0, length);
    },
  };
}

async function sealed(author: MlsIdentity, g: ScheduledGroup, scheduleId: string, date: number, text: string, devices = [author]) {
  return sealScheduled({
    key: await scheduledKey(g, scheduleId), identity: author, chatId, epoch: Number(g.epoch), scheduleId, date, text,
    authorDevices: devices.map((d) => ({ deviceId: d.deviceId, mlsSignatureKey: bytesToBase64(d.signaturePublicKey) })),
  });
}

const entry = (author: MlsIdentity, scheduleId: string, body: string, sentAt: number): Message => ({
  chatId, seq: 7, clientMsgId: scheduleId, senderUserId: author.userId, senderDeviceId: author.deviceId, sentAt, envelope: { contentType: 'parley/mls-scheduled', payload: body }, system: null,
});

describe('R191 a scheduled post of an MLS-mode channel, sealed and opened', () => {
  it('R191 a member at the epoch reads it at its signed date; served well before its date by the reader\'s clock it is flagged early', async () => {
    const ann = await MlsIdentity.generate({ userId: 'user_ann_', deviceId: 'dev_ann_1' });
    const ben = await MlsIdentity.generate({ userId: 'user_ben_', deviceId: 'dev_ben_1' });
    const g = group(4n, [ann, ben]);
    const body = await sealed(ann, g, 'sched_0001', T, 'Ferry at 7:40');
    assert.deepEqual(await openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T), T + 1000),
      { kind: 'content', content: { kind: 'text', text: 'Ferry at 7:40' }, scheduled: { date: T } });
    // Within R115's 10 minutes (clocks differ): shown; further: flagged, by the reader's clock or the server's own stamp.
    assert.equal((await openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T), T - 9 * MIN)).kind, 'content');
    const early = await openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T), T - 11 * MIN);
    assert.deepEqual(early.kind === 'content' && early.scheduled, { date: T, early: true });
    const stamped = await openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T - 30 * MIN), T + MIN);
    assert.deepEqual(stamped.kind === 'content' && stamped.scheduled, { date: T, early: true });
  });

  it('R191 a tampered body, another epoch, another schedule id or sender, or a signer not in the group is refused', async () => {
    const ann = await MlsIdentity.generate({ userId: 'user_ann_', deviceId: 'dev_ann_1' });
    const eve = await MlsIdentity.generate({ userId: 'user_eve_', deviceId: 'dev_eve_1' });
    const g = group(4n, [ann]);
    const body = await sealed(ann, g, 'sched_0001', T, 'Ferry at 7:40');
    const detail = async (d: Promise<unknown>) => {
      const r = (await d) as { kind: string; detail?: string };
      return r.kind === 'unreadable' ? r.detail : r.kind;
    };
    // One bit of the sealed post flipped.
    const b = MlsScheduledBody.parse(JSON.parse(new TextDecoder().decode(base64ToBytes(body))));
    const bytes = base64ToBytes(b.sealed);
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    const flipped = bytesToBase64(new TextEncoder().encode(JSON.stringify({ ...b, sealed: bytesToBase64(bytes) })));
    assert.equal(await detail(openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', flipped, T), T)), 'scheduled_does_not_open');
    assert.equal(await detail(openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', 'bm90IGpzb24=', T), T)), 'scheduled_malformed');
    // Read when the group is past its epoch (scrolled back to): its secret is gone, as an old message's keys; from before this device joined: said so.
    const past = await openScheduledEntry(group(5n, [ann]), ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T), T);
    assert.deepEqual(past, { kind: 'unreadable', reason: 'keys_gone' });
    assert.deepEqual(await openScheduledEntry(group(6n, [ann]), ann.ciphersuite, chatId, entry(ann, 'sched_0001', body, T), T, 5), { kind: 'unreadable', reason: 'before_join' });
    // A body that names this epoch but was sealed under another's key (the server relabelled it): does not open.
    const relabelled = await sealed(ann, group(3n, [ann]), 'sched_0001', T, 'Ferry at 7:40');
    const r = MlsScheduledBody.parse(JSON.parse(new TextDecoder().decode(base64ToBytes(relabelled))));
    const asEpoch4 = bytesToBase64(new TextEncoder().encode(JSON.stringify({ ...r, epoch: 4 })));
    assert.equal(await detail(openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0001', asEpoch4, T), T)), 'scheduled_does_not_open');
    // Under another id (the key's context): does not open; as another sender: misplaced.
    assert.equal(await detail(openScheduledEntry(g, ann.ciphersuite, chatId, entry(ann, 'sched_0002', body, T), T)), 'scheduled_does_not_open');
    assert.equal(await detail(openScheduledEntry(group(4n, [ann, eve]), ann.ciphersuite, chatId, entry(eve, 'sched_0001', body, T), T)), 'scheduled_misplaced');
    // Signed by a device with no leaf in the group (the key is the epoch's, anyone in it could make one up).
    const forged = await sealed(eve, g, 'sched_0003', T, 'Ferries cancelled');
    assert.equal(await detail(openScheduledEntry(g, ann.ciphersuite, chatId, entry(eve, 'sched_0003', forged, T), T)), 'scheduled_signer_not_in_group');
  });

  it('R191 the copy opens on each device of its author (to re-seal it) and on no other; a copy another made up is not taken', async () => {
    const ann1 = await MlsIdentity.generate({ userId: 'user_ann_', deviceId: 'dev_ann_1' });
    const ann2 = await MlsIdentity.generate({ userId: 'user_ann_', deviceId: 'dev_ann_2' });
    const ben = await MlsIdentity.generate({ userId: 'user_ben_', deviceId: 'dev_ben_1' });
    const g = group(4n, [ann1, ann2, ben]);
    const body = await sealed(ann1, g, 'sched_0001', T, 'Ferry at 7:40', [ann1, ann2]);
    const keys = new Map([[ann1.deviceId, bytesToBase64(ann1.signaturePublicKey)], [ann2.deviceId, bytesToBase64(ann2.signaturePublicKey)]]);
    const signer = async (d: string) => keys.get(d);
    assert.equal((await openScheduledCopy(body, ann2, chatId, 'sched_0001', signer))?.text, 'Ferry at 7:40');
    assert.equal(await openScheduledCopy(body, ben, chatId, 'sched_0001', signer), undefined);
    assert.equal(await openScheduledCopy(body, ann2, chatId, 'sched_0002', signer), undefined);
    // Anyone can seal to Ann's device keys: a copy signed by a key not in her log is not re-sealed.
    const mallory = await MlsIdentity.generate({ userId: 'user_ann_', deviceId: 'dev_ann_9' });
    const madeUp = await sealed(mallory, g, 'sched_0001', T, 'Ferries cancelled', [ann1, ann2]);
    assert.equal(await openScheduledCopy(madeUp, ann2, chatId, 'sched_0001', signer), undefined);
  });
});
