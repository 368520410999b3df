import {
  MlsGroupSession, MlsIdentity, RestApi, accounts, bytesToBase64, encodeCommitBundle, generateKeyPackages,
  type DeviceKey, type GeneratedKeyPackage,
} from '@parley/client';
import { startGroupId } from '@parley/mls-public';
import type { ClaimKeyPackagesResponse, Envelope } from '@parley/protocol';

/**
 * A device that speaks MLS by hand (raw frames, plain REST) for tests of what the server checks
 * (R35): its MLS identity published to its key log (R20), key packages uploaded (R14), and groups
 * it commits to through MlsGroupSession, with real crypto.
 */
export interface MlsTestDevice {
  userId: string;
  deviceId: string;
  deviceKey: DeviceKey;
  api: RestApi;
  identity: MlsIdentity;
  keyPackages: GeneratedKeyPackage[];
}

export async function mlsTestDevice(baseUrl: string, user: { userId: string; deviceId: string; deviceKey: DeviceKey }, opts: { keyPackages?: number; publish?: boolean } = {}): Promise<MlsTestDevice> {
  const { token } = await accounts.login(baseUrl, user.deviceId, user.deviceKey);
  const api = new RestApi(baseUrl, token);
  const identity = await MlsIdentity.generate({ userId: user.userId, deviceId: user.deviceId });
  if (opts.publish !== false) await api.call('POST', '/key-log', await identity.keyLogProof());
  const keyPackages = await generateKeyPackages(identity, opts.keyPackages ?? 3);
  if (keyPackages.length > 0) await api.call('POST', '/keypackages', { keyPackages: keyPackages.map((k) => bytesToBase64(k.keyPackage)) });
  return { ...user, api, identity, keyPackages };
}

/** Claims one key package of each device of these members of the chat (R14, R41), as the committer. */
export async function claimFor(by: MlsTestDevice, chatId: string, userIds: string[]): Promise<Uint8Array[]> {
  const { keyPackages } = await by.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds });
  return keyPackages.map((k) => Uint8Array.from(Buffer.from(k.keyPackage, 'base64')));
}

/**
 * Starts the chat's group on `creator` with every device of `userIds` that has a key package: the
 * group, its first commit's envelope (commit, Welcome, and the GroupInfo of the group as it starts,
 * R35), to send at epoch `epoch` (0 for a new chat). The commit stays pending on the session until
 * `session.mergePendingCommit()`.
 */
export async function startGroup(creator: MlsTestDevice, chatId: string, userIds: string[], epoch = 0): Promise<{ session: MlsGroupSession; envelope: Envelope }> {
  const groupId = new TextEncoder().encode(startGroupId(chatId, epoch));
  const session = await MlsGroupSession.create(creator.identity, groupId, {}, BigInt(epoch));
  const groupInfo = await session.groupInfo();
  const packages = await claimFor(creator, chatId, userIds);
  const { commit, welcome } = packages.length > 0 ? await session.changeMembers({ add: packages, remove: [] }) : { ...(await session.update()), welcome: undefined };
  return { session, envelope: encodeCommitBundle({ commit, welcome, groupInfo }) };
}

/** A commit frame for the chat. */
export function commitFrame(rid: string, chatId: string, clientMsgId: string, epoch: number, envelope: Envelope): Record<string, unknown> {
  return { type: 'commit', rid, chatId, clientMsgId, epoch, envelope };
}
