// R36/R35: how big a restart (a group's start: a fresh group adding every current device, with its
// GroupInfo) is, as the `commit` frame's envelope carries it (base64, what PARLEY_MAX_COMMIT_BYTES
// bounds), made by the SDK's own code with Parley-shaped ids (22-character user and device ids).
// Usage: node --import tsx bench/restart-size.ts [devices=10,100,500,1000,2000]
import { randomBytes } from 'node:crypto';
import { startGroupId } from '@parley/mls-public';
import { encodeCommitBundle } from '../packages/client/src/e2ee/envelopes.ts';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../packages/client/src/mls/index.ts';

const sizes = (process.argv[2] ?? '10,100,500,1000,2000').split(',').map(Number);
const id = () => randomBytes(16).toString('base64url'); // 22 characters, as the server's ids
const chatId = id();
const epoch = 7;
const devices = [];
for (let i = 0; i < Math.max(...sizes); i++) {
  const identity = await MlsIdentity.generate({ userId: id(), deviceId: id() });
  devices.push({ identity, kp: (await generateKeyPackages(identity, 1))[0]!.keyPackage });
}
for (const n of sizes) {
  const [owner, ...others] = devices.slice(0, n);
  const session = await MlsGroupSession.create(owner!.identity, new TextEncoder().encode(startGroupId(chatId, epoch)), {}, BigInt(epoch));
  const groupInfo = await session.groupInfo();
  const made = await session.addMembers(others.map((d) => d.kp));
  const envelope = encodeCommitBundle({ ...made, groupInfo });
  const bytes = envelope.contentType.length + envelope.payload.length;
  console.log(JSON.stringify({
    bench: 'restart-size', devices: n, commitBytes: made.commit.length, welcomeBytes: made.welcome.length, groupInfoBytes: groupInfo.length,
    envelopeBytes: bytes, perDevice: Math.round(bytes / n),
  }));
}
