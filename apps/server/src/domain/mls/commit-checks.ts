import { ParleyError, type Envelope } from '@parley/protocol';
import {
  decodeCommitBundle, encodePublicGroup, leaves, credentialIdentity, memberKey, startGroupId, verifyCommit, verifyGroupInfo,
  MLS_COMMIT_CONTENT_TYPE, type CommitPolicy, type LeafStanding, type MemberIdentity, type PublicGroup,
} from '@parley/mls-public';
import { decodeMlsMessage } from 'ts-mls';
import type { MlsLimits } from '../../config.ts';
import type { ChatRow, DeviceKeyRow, Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock } from '../ports.ts';
import { GroupStates } from './group-states.ts';

export interface CommitChecksDeps {
  storage: Pick<Storage, 'getMlsGroupState' | 'getMembers' | 'getMember' | 'getDeviceKeys' | 'devicesWithKeyPackages'>;
  clock: Clock;
  limits: MlsLimits;
  /** R14: key packages stored longer ago are stale; a reset need not wait for a device that has only those. */
  keyPackageMaxAgeMs: number;
}

/** A checked commit: what to store with it. */
export interface CheckedCommitState {
  state: Uint8Array;
  startedAt: number;
  group: PublicGroup;
  /** It carries a Welcome: the devices it adds join at the next epoch (R35b keeps the state for them). */
  welcomes: boolean;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** R36b: the order a group's start takes devices in (and the SDK adds them in): by user id, then device id. */
const deviceOrder = (a: MemberIdentity, b: MemberIdentity): number => (a.userId === b.userId ? cmp(a.deviceId, b.deviceId) : cmp(a.userId, b.userId));
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/**
 * R35/R36: the checks a commit passes before the server orders it, against the public state of the
 * chat's group the previous checked commit led to (held in GroupStates), or against a GroupInfo the
 * commit brings when it starts a group (a new chat, a reset) or when the server holds no state yet
 * (a group from before the server checked, adopted as its tree says). Membership and keys come from
 * the chat's members and their key logs (`standing`).
 */
export class CommitChecks {
  readonly #d: CommitChecksDeps;
  readonly states: GroupStates;

  constructor(deps: CommitChecksDeps) {
    this.#d = deps;
    this.states = new GroupStates(deps.storage, deps.limits.stateCacheBytes);
  }

  /** Throws `mls_commit_invalid`, `mls_commit_forbidden`, `mls_group_info_required`, `mls_commit_incomplete` or `rate_limited`. */
  async check(auth: AuthContext, chat: ChatRow, envelope: Envelope): Promise<CheckedCommitState> {
    if (envelope.contentType !== MLS_COMMIT_CONTENT_TYPE) throw new ParleyError('mls_commit_invalid', `a commit's content type is ${MLS_COMMIT_CONTENT_TYPE}`);
    const bundle = decodeCommitBundle(Buffer.from(envelope.payload, 'base64'));
    if (!bundle) throw new ParleyError('mls_commit_invalid', 'not a commit bundle: u32 length ‖ commit ‖ [Welcome] ‖ [GroupInfo]');
    const now = this.#d.clock.now();
    const sender: MemberIdentity = { userId: auth.userId, deviceId: auth.deviceId };
    const { policy, current } = await this.#policy(chat.chatId, now, bundle.groupInfo !== undefined);
    const held = await this.states.at(chat.chatId, chat.mlsEpoch);
    let base: PublicGroup;
    let startedAt: number;
    let start = false;
    if (bundle.groupInfo) {
      const epoch = BigInt(chat.mlsEpoch);
      const named = groupInfoGroupId(bundle.groupInfo);
      if (named === startGroupId(chat.chatId, chat.mlsEpoch)) {
        start = true;
        const wait = held ? held.startedAt + this.#d.limits.resetIntervalMs - now : 0;
        if (wait > 0) throw new ParleyError('rate_limited', 'this chat\'s encryption group was started again a moment ago', Math.ceil(wait / 1000));
        base = await verifyGroupInfo(bundle.groupInfo, { groupId: utf8(startGroupId(chat.chatId, chat.mlsEpoch)), epoch, signer: sender, kind: 'start' }, policy);
        startedAt = chat.mlsEpoch === 0 ? 0 : now; // only restarts count for their rate (R36)
      } else if (named === chat.chatId && chat.mlsEpoch > 0 && !held) {
        base = await verifyGroupInfo(bundle.groupInfo, { groupId: utf8(chat.chatId), epoch, signer: sender, kind: 'adopt' }, policy);
        startedAt = 0;
      } else {
        throw new ParleyError('mls_commit_invalid', held ? 'a GroupInfo comes only with a commit that starts a group' : 'the GroupInfo is for another group');
      }
    } else if (held) {
      base = held.group;
      startedAt = held.startedAt;
    } else if (chat.mlsEpoch === 0) {
      throw new ParleyError('mls_commit_invalid', 'the commit that starts a chat\'s group brings the group\'s GroupInfo');
    } else {
      throw new ParleyError('mls_group_info_required', 'the server holds no state of this group yet: send the commit again with the group\'s GroupInfo');
    }
    const checked = await verifyCommit(base, bundle, sender, policy);
    if (start) await this.#complete(checked.group, current(), now, sender);
    return { state: encodePublicGroup(checked.group), startedAt, group: checked.group, welcomes: bundle.welcome !== undefined };
  }

  /** A state stored with its commit: the next check of the chat starts from it. */
  remember(chatId: string, epoch: number, checked: CheckedCommitState): void {
    this.states.remember(chatId, { epoch, group: checked.group, startedAt: checked.startedAt }, checked.state.length);
  }

  /**
   * Where each leaf stands (LeafStanding): from the chat's members, their devices and their logged
   * keys, each user read once per check. With a GroupInfo (a start needs the chat's current devices;
   * an adopted tree names every member) all members are read up front; otherwise only the users the
   * commit names (its committer and the devices it adds or removes): a few rows, not the whole chat's.
   * `current`: the current devices of the users read (every member's, when read up front).
   */
  async #policy(chatId: string, now: number, everyone: boolean): Promise<{ policy: CommitPolicy; current: () => DeviceKeyRow[] }> {
    const { storage } = this.#d;
    const members = new Set<string>();
    const devices = new Map<string, DeviceKeyRow>();
    const note = (rows: DeviceKeyRow[]) => rows.forEach((r) => devices.set(memberKey(r), r));
    /** Per user, its reads (ts-mls asks about several added devices at once). */
    const read = new Map<string, Promise<void>>();
    if (everyone) {
      for (const m of await storage.getMembers(chatId)) members.add(m.userId);
      note(await storage.getDeviceKeys([...members]));
      for (const userId of members) read.set(userId, Promise.resolve());
    }
    const readUser = async (userId: string): Promise<void> => {
      if (!everyone && (await storage.getMember(chatId, userId))) members.add(userId);
      note(await storage.getDeviceKeys([userId]));
    };
    const policy: CommitPolicy = {
      nowSeconds: now / 1000,
      async standing(member, key): Promise<LeafStanding> {
        let reading = read.get(member.userId);
        if (!reading) read.set(member.userId, (reading = readUser(member.userId)));
        await reading;
        const row = devices.get(memberKey(member));
        if (!row || row.mlsSignatureKey === null || row.mlsSignatureKey !== b64(key)) return 'unbound';
        return !row.revoked && members.has(row.userId) ? 'current' : 'bound';
      },
    };
    const current = () => [...devices.values()].filter((r) => !r.revoked && r.mlsSignatureKey !== null && members.has(r.userId));
    return { policy, current };
  }

  /**
   * R36: a started group holds every current device that has a key package, so no member can start
   * one without the others; or (R36b, big chats) at least `startMinAdds` of them that come first in
   * (userId, deviceId) order, every one before the last it added: the starter can't choose whom to
   * leave out, and the rest join by ordinary adds.
   */
  async #complete(group: PublicGroup, current: readonly DeviceKeyRow[], now: number, sender: MemberIdentity): Promise<void> {
    const inTree = new Set(leaves(group.tree).map((l) => {
      const id = credentialIdentity(l.node.leaf.credential);
      return id ? memberKey(id) : '';
    }));
    const outside = current.filter((d) => !inTree.has(memberKey(d)));
    const missingIds = new Set(await this.#d.storage.devicesWithKeyPackages(outside.map((d) => d.deviceId), now - this.#d.keyPackageMaxAgeMs));
    if (missingIds.size === 0) return;
    const missing = outside.filter((d) => missingIds.has(d.deviceId));
    const added = current.filter((d) => inTree.has(memberKey(d)) && memberKey(d) !== memberKey(sender));
    const last = added.reduce<DeviceKeyRow | undefined>((max, d) => (max === undefined || deviceOrder(d, max) > 0 ? d : max), undefined);
    const prefix = last !== undefined && added.length >= this.#d.limits.startMinAdds && missing.every((d) => deviceOrder(d, last) > 0);
    if (!prefix) {
      throw new ParleyError('mls_commit_incomplete', `a group starts with every current device that has a key package, or at least ${this.#d.limits.startMinAdds} of them first in (userId, deviceId) order; missing: ${missing.slice(0, 10).map((d) => d.deviceId).join(', ')}`);
    }
  }
}

/** The group id a GroupInfo names, as text; undefined when the bytes are no GroupInfo (verifyGroupInfo says why). */
function groupInfoGroupId(bytes: Uint8Array): string | undefined {
  try {
    const m = decodeMlsMessage(bytes, 0)?.[0];
    return m?.wireformat === 'mls_group_info' ? new TextDecoder().decode(m.groupInfo.groupContext.groupId) : undefined;
  } catch {
    return undefined;
  }
}
