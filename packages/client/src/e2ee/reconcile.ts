import { MAX_KEY_PACKAGES_PER_CALL, MLS_MAX_ADDS_PER_COMMIT, type ChatDevice, type ClaimedKeyPackage, type Envelope } from '@parley/protocol';
import { base64ToBytes, randomId } from '../encoding.ts';
import { isMlsSessionError, sameMember, type MemberIdentity, type MlsGroup } from '../mls/index.ts';
import type { ClientStore } from '../store.ts';
import { encodeCommitBundle } from './envelopes.ts';
import { EPOCH_AHEAD_OF_SERVER, type BrokenGroup } from './broken-groups.ts';
import type { MemberSince } from './member-since.ts';

export const memberKey = (m: MemberIdentity): string => `${m.userId}:${m.deviceId}`;

export interface ReconcileInput {
  /** The chat's epoch at the server (ChatSummary.mlsEpoch): 0 means no group exists yet. */
  serverEpoch: number;
  /** Devices that belong in the group (GET /chats/:id/devices, R18). */
  devices: readonly ChatDevice[];
  claim(userIds: string[]): Promise<ClaimedKeyPackage[]>;
  /**
   * Rotate this device's leaf key (an update commit: post-compromise security) when it is older than
   * this many ms. Any commit of this device counts as a rotation.
   */
  rotateAfterMs?: number;
  now?: number;
  /** Devices that asked to be added again (R29): removed and added back with a fresh key package. */
  readd?: readonly MemberIdentity[];
  /** R36: this device has been outside the chat's existing group too long (no member added it back): start the group again. */
  restartOutside?: boolean;
  /** R36b: the most devices one commit adds (default MLS_MAX_ADDS_PER_COMMIT); the rest go in the next ones. */
  maxAdds?: number;
  /**
   * Sends the commit frame (R15); 'conflict' when another commit took the epoch first (or, starting a
   * group, a device with a key package was left out: claim again, R36); 'group_info_required' when
   * the server holds no public state of the group yet (R35): the same commit goes again with it.
   */
  send(commit: { epoch: number; envelope: Envelope; clientMsgId: string }): Promise<'accepted' | 'conflict' | 'group_info_required'>;
}

export type ReconcileResult =
  | { kind: 'in_sync' }
  | { kind: 'committed'; added: string[]; removed: string[]; rotated?: boolean; restarted?: boolean }
  | { kind: 'conflict' }
  /** This device is not in the group; a member's device has to add it. */
  | { kind: 'waiting' }
  /**
   * Some devices have no key package on the server right now (they were left out; retry later), or
   * (`more`, R36b) more devices are to be added than one commit takes: add the next part at once.
   */
  | { kind: 'committed_partly'; missing: string[]; added: string[]; more?: boolean };


export interface ReconcileContext {
  chatId: string;
  userId: string;
  deviceId: string;
  store: ClientStore;
  /** Writes the chat's serialized group (default: store.putMlsGroup; MlsCodec: its GroupRecords, issue 12). */
  putGroup?: (state: Uint8Array) => Promise<void>;
  since: MemberSince;
  /** R36: this device could not apply a commit of the chat's group: it starts the group again. */
  broken?: BrokenGroup | undefined;
  /** A new group with only this device, starting at the chat's epoch (0 for a new chat; a restart, R36). */
  create(epoch: number): Promise<MlsGroup>;
}

/**
 * Brings a chat's group (`loaded`, this device's session, if any) in line with the devices that
 * belong in it: creates it (server epoch 0), adds missing devices from claimed key packages, removes
 * devices that left or were revoked, in one commit. Of several devices doing this at once exactly one
 * commit wins (R15); the others see `conflict`, catch up on the log and call again. `merged` is the
 * session when this device's commit was accepted (the caller keeps it). Run under the chat's lock.
 */
export async function reconcileGroup(loaded: MlsGroup | undefined, ctx: ReconcileContext, input: ReconcileInput): Promise<{ result: ReconcileResult; merged?: MlsGroup }> {
  const { chatId } = ctx;
  const putGroup = ctx.putGroup ?? ((state: Uint8Array) => ctx.store.putMlsGroup(chatId, state));
  let s = loaded;
  let fresh = false;
  /** R36: the group this device could not follow; its devices keep their "since" in the new one. */
  let previous: MlsGroup | undefined;
  if (!s || !s.isActive) {
    if (input.serverEpoch !== 0 && !input.restartOutside) return { result: { kind: 'waiting' } };
    s = await ctx.create(input.serverEpoch);
    fresh = true;
  }
  if (Number(s.epoch) !== input.serverEpoch) {
    // The log has commits this device has not applied yet (catch up), or one it could not apply:
    // then it starts the group again, as it stands now, with every device that belongs (R36).
    // A device ahead of the server (it applied a commit the server did not count) starts it again too.
    const ahead = ctx.broken?.code === EPOCH_AHEAD_OF_SERVER;
    if ((!ctx.broken && !input.restartOutside) || (input.serverEpoch < Number(s.epoch) && !ahead)) return { result: { kind: 'conflict' } };
    previous = s;
    s = await ctx.create(input.serverEpoch);
    fresh = true;
  }
  if (s.hasPendingCommit) await s.discardPendingCommit(); // left by a crash before the verdict; the log did not take it

  const me = { userId: ctx.userId, deviceId: ctx.deviceId };
  const current = s.members();
  const before = previous ? previous.members().map(memberKey) : fresh ? [] : current.map(memberKey);
  const wanted = new Set(input.devices.map(memberKey));
  const have = new Set(current.map(memberKey));
  const readd = new Set((input.readd ?? []).map(memberKey).filter((k) => wanted.has(k) && k !== memberKey(me)));
  const allToAdd = input.devices.filter((d) => (!have.has(memberKey(d)) || readd.has(memberKey(d))) && !sameMember(d, me));
  const toRemove = current.filter((m) => (!wanted.has(memberKey(m)) || readd.has(memberKey(m))) && !sameMember(m, me));
  const now = input.now ?? Date.now();
  const rotatedAt = Number((await ctx.store.getMeta(`mls-rotated:${chatId}`)) ?? NaN);
  if (Number.isNaN(rotatedAt)) await ctx.store.setMeta(`mls-rotated:${chatId}`, String(now));
  const rotate = input.rotateAfterMs !== undefined && !Number.isNaN(rotatedAt) && now - rotatedAt >= input.rotateAfterMs;
  if (allToAdd.length === 0 && toRemove.length === 0 && !fresh && !rotate) return { result: { kind: 'in_sync' } };

  // R36b: a part at a time, first in (userId, deviceId) order, whole users (a claim takes a user's devices).
  // A part none of whose devices has a usable key package (offline devices that used theirs up) is
  // passed over for the next: else a chat whose first users have none would never add the others.
  let rest = allToAdd;
  let packages: ClaimedKeyPackage[] = [];
  let missing: string[] = [];
  do {
    const part = firstPart(rest, input.maxAdds ?? MLS_MAX_ADDS_PER_COMMIT);
    const inPart = new Set(part.map(memberKey));
    rest = rest.filter((d) => !inPart.has(memberKey(d)));
    packages = await usablePackages(s, part, part.length > 0 ? await input.claim([...new Set(part.map((d) => d.userId))]) : []);
    missing = [...missing, ...part.filter((d) => !packages.some((p) => p.deviceId === d.deviceId && p.userId === d.userId)).map(memberKey)];
  } while (packages.length === 0 && rest.length > 0);
  const more = rest.length > 0;
  const nothing = packages.length === 0 && toRemove.length === 0;
  // A new group waits for at least one device to add, unless it has no one else (a chat with oneself).
  if (nothing && !rotate && (!fresh || allToAdd.length > 0)) return { result: { kind: 'committed_partly', missing, added: [] } };

  const epoch = Number(s.epoch);
  // A new group's first commit brings the group as it starts (R35): the server checks the commit against it.
  const baseInfo = fresh ? await s.groupInfo() : undefined;
  let bundle;
  try {
    bundle = nothing
      ? { commit: (await s.update()).commit, welcome: undefined }
      : await s.changeMembers({ add: packages.map((p) => base64ToBytes(p.keyPackage)), remove: toRemove });
  } catch (err) {
    if (!isMlsSessionError(err) || (err.code !== 'mls_invalid_key_package' && err.code !== 'mls_malformed')) throw err;
    missing = [...missing, ...packages.map(memberKey)];
    packages = [];
    if (toRemove.length === 0) return { result: { kind: 'committed_partly', missing, added: [] } };
    // A removal never waits for an add: a key package that fails (forged, expired) must not keep a
    // device that no longer belongs in the tree (R34). The adds are tried again later.
    bundle = await s.changeMembers({ add: [], remove: toRemove });
  }
  if (!fresh) await putGroup(await s.serialize()); // the pending commit survives a crash
  const clientMsgId = randomId();
  let verdict = await input.send({ epoch, envelope: encodeCommitBundle({ ...bundle, groupInfo: baseInfo }), clientMsgId });
  // A group from before the server checked commits: it adopts the group as this device holds it (R35).
  if (verdict === 'group_info_required' && !fresh) verdict = await input.send({ epoch, envelope: encodeCommitBundle({ ...bundle, groupInfo: await s.groupInfo() }), clientMsgId });
  if (verdict !== 'accepted') {
    await s.discardPendingCommit();
    if (!fresh) await putGroup(await s.serialize());
    return { result: { kind: 'conflict' } };
  }
  await s.mergePendingCommit();
  await putGroup(await s.serialize());
  await ctx.since.moved(chatId, before, s.members().map(memberKey), Number(s.epoch));
  await ctx.store.setMeta(`mls-rotated:${chatId}`, String(now)); // every commit of ours carries a fresh leaf key
  const result = { kind: 'committed' as const, added: packages.map(memberKey), removed: toRemove.map(memberKey), rotated: nothing, ...(previous ? { restarted: true } : {}) };
  return { result: missing.length > 0 || more ? { kind: 'committed_partly', missing, added: result.added, ...(more ? { more } : {}) } : result, merged: s };
}

/** The claimed key packages of `part` that can go into a commit: one per device; a forged or garbage one leaves out its device only. */
async function usablePackages(s: MlsGroup, part: readonly MemberIdentity[], claimed: readonly ClaimedKeyPackage[]): Promise<ClaimedKeyPackage[]> {
  const offered = part.flatMap((d) => claimed.filter((c) => c.deviceId === d.deviceId && c.userId === d.userId).slice(0, 1));
  const usable = await Promise.all(offered.map(async (p) => {
    try {
      return await s.usableKeyPackage(base64ToBytes(p.keyPackage));
    } catch {
      return false;
    }
  }));
  return offered.filter((_, i) => usable[i]);
}

/**
 * R36b: the devices one commit adds: users in id order, each with all of its devices in id order,
 * while they fit `maxAdds` devices and MAX_KEY_PACKAGES_PER_CALL users (one claim); at least one user.
 * A start that leaves devices out must take them in this order (the server checks the prefix).
 */
export function firstPart<T extends MemberIdentity>(devices: readonly T[], maxAdds: number): T[] {
  const byUser = new Map<string, T[]>();
  for (const d of [...devices].sort((a, b) => (a.userId === b.userId ? cmp(a.deviceId, b.deviceId) : cmp(a.userId, b.userId)))) {
    const list = byUser.get(d.userId) ?? [];
    list.push(d);
    byUser.set(d.userId, list);
  }
  const part: T[] = [];
  let users = 0;
  for (const list of byUser.values()) {
    if (users > 0 && (part.length + list.length > maxAdds || users >= MAX_KEY_PACKAGES_PER_CALL)) break;
    part.push(...list);
    users += 1;
  }
  return part;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** R29: a device outside a chat's existing group asks to be added after this long, then at most this often. */
export const REJOIN_ASK_AFTER_MS = 10_000;
export const REJOIN_ASK_EVERY_MS = 30_000;
/** R29: how long after its key packages first reached the server a device outside a group asks at once. */
export const REJOIN_ASK_REACHABLE_MS = 60_000;

/**
 * R29: whether a device outside a chat's existing group (since `waitingSince`) asks its members to
 * add it now, and why. `waited`: after 10 s, then every 30 s (`askedAt`: its last such ask; R36's
 * restart counts from the first). `reachable`: at once, once per `reachableAt` (`reachableAsked`: the
 * one it last asked for), within a minute of its key packages reaching the server (its first ones or
 * a new identity's) while it was already waiting: members' devices that tried to add it before found
 * none and back off (up to 30 s); the ask makes them try again now instead of this device's messages
 * waiting that long. Not when they were there before it waited: members adding it found them, and an
 * ask then would race their add (a re-add, a Welcome it can't use).
 */
export function rejoinDue(t: { now: number; waitingSince: number; askedAt: number | undefined; reachableAt: number | undefined; reachableAsked: number | undefined }): 'waited' | 'reachable' | undefined {
  if (t.now - t.waitingSince >= REJOIN_ASK_AFTER_MS && t.now - (t.askedAt ?? -Infinity) >= REJOIN_ASK_EVERY_MS) return 'waited';
  if (t.reachableAt !== undefined && t.reachableAt > t.waitingSince && t.reachableAt !== t.reachableAsked && t.now - t.reachableAt < REJOIN_ASK_REACHABLE_MS) return 'reachable';
  return undefined;
}
