import {
  acceptAll, createCommit, createGroup, decodeMlsMessage, defaultCapabilities, emptyPskIndex, encodeMlsMessage, generateKeyPackageWithKey, joinGroup, processMessage,
  type ClientState, type CiphersuiteImpl, type KeyPackage, type PrivateKeyPackage, type Proposal,
} from 'ts-mls';
import { createGroupInfoWithRatchetTree } from 'ts-mls/createCommit.js';
import { memberKey, type MemberIdentity } from './identity.ts';
import type { CommitPolicy, LeafStanding } from './verify.ts';
import { DEFAULT_CIPHERSUITE, loadPublicSuite } from './suite.ts';

/** Test-only: real ts-mls groups of Parley-shaped devices (basic credential `userId:deviceId`), no mocks. */
export const suite = (): Promise<CiphersuiteImpl> => loadPublicSuite(DEFAULT_CIPHERSUITE);

export interface TestDevice extends MemberIdentity {
  signatureKey: Uint8Array;
  signKey: Uint8Array;
  /** A fresh key package each call (as a device uploads many). */
  keyPackage(): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }>;
}

export async function device(userId: string, deviceId: string): Promise<TestDevice> {
  const cs = await suite();
  const { publicKey, signKey } = await cs.signature.keygen();
  const now = BigInt(Math.floor(Date.now() / 1000));
  const credential = { credentialType: 'basic' as const, identity: new TextEncoder().encode(`${userId}:${deviceId}`) };
  return {
    userId, deviceId, signatureKey: publicKey, signKey,
    keyPackage: () => generateKeyPackageWithKey(credential, defaultCapabilities(), { notBefore: now - 60n, notAfter: now + 86_400n }, [], { publicKey, signKey }, cs),
  };
}

/** A policy from a table: the devices listed are `current` with their key; `bound` ones were revoked or left. */
export function policyOf(current: readonly TestDevice[], bound: readonly TestDevice[] = []): CommitPolicy {
  const table = new Map<string, { key: Uint8Array; standing: LeafStanding }>();
  for (const d of bound) table.set(memberKey(d), { key: d.signatureKey, standing: 'bound' });
  for (const d of current) table.set(memberKey(d), { key: d.signatureKey, standing: 'current' });
  return {
    nowSeconds: Date.now() / 1000,
    standing(member, key) {
      const row = table.get(memberKey(member));
      return row !== undefined && Buffer.from(row.key).equals(Buffer.from(key)) ? row.standing : 'unbound';
    },
  };
}

export interface Member {
  device: TestDevice;
  state: ClientState;
}

const groupIdOf = (chatId: string): Uint8Array => new TextEncoder().encode(chatId);

/** A group of `creator` alone at `epoch`, as a client starts one, and the GroupInfo it sends with its first commit. */
export async function startGroup(creator: TestDevice, chatId: string, epoch = 0n): Promise<{ member: Member; groupInfo: Uint8Array }> {
  const cs = await suite();
  const kp = await creator.keyPackage();
  const created = await createGroup(groupIdOf(chatId), kp.publicPackage, kp.privatePackage, [], cs);
  const state = { ...created, groupContext: { ...created.groupContext, epoch } };
  return { member: { device: creator, state }, groupInfo: await groupInfoOf(state) };
}

export async function groupInfoOf(state: ClientState): Promise<Uint8Array> {
  const cs = await suite();
  const gi = await createGroupInfoWithRatchetTree(state.groupContext, state.confirmationTag, state, state.ratchetTree, [], cs);
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo: gi });
}

export interface MadeCommit {
  commit: Uint8Array;
  welcome: Uint8Array | undefined;
  /** The committer's state once the commit is accepted. */
  next: ClientState;
}

/** A commit by `member` (PublicMessage unless `privateMessage`), not yet applied. */
export async function commit(member: Member, proposals: Proposal[], opts: { privateMessage?: boolean } = {}): Promise<MadeCommit> {
  const cs = await suite();
  const r = await createCommit({ state: member.state, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension: true, wireAsPublicMessage: opts.privateMessage !== true });
  const welcome = r.welcome && encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: r.welcome });
  return { commit: encodeMlsMessage(r.commit), welcome, next: r.newState };
}

export const add = (kp: KeyPackage): Proposal => ({ proposalType: 'add', add: { keyPackage: kp } });
export const remove = (leafIndex: number): Proposal => ({ proposalType: 'remove', remove: { removed: leafIndex } });

/** Adds devices to the group and returns every member's state after (the committer first, then the others, then the new ones). */
export async function addDevices(committer: Member, others: readonly Member[], newcomers: readonly TestDevice[]): Promise<{ made: MadeCommit; members: Member[] }> {
  const cs = await suite();
  const kps = await Promise.all(newcomers.map((d) => d.keyPackage()));
  const made = await commit(committer, kps.map((k) => add(k.publicPackage)));
  const members: Member[] = [{ device: committer.device, state: made.next }];
  for (const o of others) members.push({ device: o.device, state: await apply(o.state, made.commit) });
  const w = decodeMlsMessage(made.welcome ?? new Uint8Array(), 0)?.[0];
  if (w?.wireformat !== 'mls_welcome') throw new Error('no welcome');
  for (const [i, d] of newcomers.entries()) {
    const kp = kps[i]!;
    members.push({ device: d, state: await joinGroup(w.welcome, kp.publicPackage, kp.privatePackage, emptyPskIndex, cs) });
  }
  return { made, members };
}

/** A member processes a commit (as a receiving client does). */
export async function apply(state: ClientState, commitBytes: Uint8Array): Promise<ClientState> {
  const cs = await suite();
  const m = decodeMlsMessage(commitBytes, 0)?.[0];
  if (m?.wireformat !== 'mls_public_message' && m?.wireformat !== 'mls_private_message') throw new Error('not a handshake message');
  const r = await processMessage(m, state, emptyPskIndex, acceptAll, cs);
  if (r.kind !== 'newState') throw new Error('not a commit');
  return r.newState;
}

export function leafOf(state: ClientState, d: MemberIdentity): number {
  const want = `${d.userId}:${d.deviceId}`;
  const i = state.ratchetTree.findIndex((n) => n?.nodeType === 'leaf' && new TextDecoder().decode((n.leaf.credential as { identity: Uint8Array }).identity) === want);
  if (i < 0) throw new Error(`${want} not in tree`);
  return i / 2;
}
