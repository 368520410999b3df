// R35b: how big adding one device to a group of N devices is, as the `commit` frame's envelope
// carries it (base64, what PARLEY_MAX_COMMIT_BYTES bounds), with the ratchet tree in the Welcome
// (as every Welcome carried it before R35b) and without it (groups whose tree is over
// welcomeTreeMaxBytes: the joiner reads it from the server). Made by the SDK's own code.
// Usage: node --import tsx bench/mls-add-size.ts [devices=100,500,1000,2000]
import { randomBytes } from 'node:crypto';
import { startGroupId } from '@parley/mls-public';
import { encodeCommitBundle } from '../packages/client/src/e2ee/envelopes.ts';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../packages/client/src/mls/index.ts';

const sizes = (process.argv[2] ?? '100,500,1000,2000').split(',').map(Number);
const id = () => randomBytes(16).toString('base64url'); // 22 characters, as the server's ids
const devices = [];
for (let i = 0; i < Math.max(...sizes) + 1; i++) {
  const identity = await MlsIdentity.generate({ userId: id(), deviceId: id() });
  devices.push({ identity, kp: (await generateKeyPackages(identity, 1))[0]!.keyPackage });
}
for (const n of sizes) {
  const [owner, ...others] = devices.slice(0, n + 1);
  const row: Record<string, number | string> = { bench: 'mls-add-size', devices: n };
  for (const [mode, welcomeTreeMaxBytes] of [['treeInWelcome', Infinity], ['treeFromServer', 0]] as const) {
    const session = await MlsGroupSession.create(owner!.identity, new TextEncoder().encode(startGroupId(id(), 0)), { welcomeTreeMaxBytes }, 0n);
    await session.addMembers(others.slice(0, n - 1).map((d) => d.kp));
    session.mergePendingCommit();
    const made = await session.addMembers([others[n - 1]!.kp]);
    const envelope = encodeCommitBundle(made);
    row[`${mode}EnvelopeBytes`] = envelope.contentType.length + envelope.payload.length;
    if (mode === 'treeFromServer') row.treeBytes = session.ratchetTreeBytes().length;
  }
  console.log(JSON.stringify(row));
}
