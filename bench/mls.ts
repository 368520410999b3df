// MLS costs through Parley's layer (packages/client/src/mls, on ts-mls): key package generation,
// add/remove/update commit time and size, the time another member takes to process a commit,
// joining from a Welcome, and encrypt/decrypt of a 1 KB message, for groups of several sizes.
// Usage: node --import tsx bench/mls.ts [sizes=10,100,1000]
import { MlsGroupSession, MlsIdentity, generateKeyPackages, type GeneratedKeyPackage } from '../packages/client/src/mls/index.ts';
import { round } from './lib/fixture.ts';

const sizes = (process.argv[2] ?? '10,100,1000').split(',').map(Number);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

async function device(i: number): Promise<{ identity: MlsIdentity; kps: GeneratedKeyPackage[] }> {
  const identity = await MlsIdentity.generate({ userId: `user${i}`, deviceId: 'dev' });
  return { identity, kps: await generateKeyPackages(identity, 1) };
}

for (const n of sizes) {
  const owner = await MlsIdentity.generate({ userId: 'owner', deviceId: 'dev' });
  const [members, kpMs] = await timed(() => Promise.all(Array.from({ length: n - 1 }, (_, i) => device(i))));
  const session = await MlsGroupSession.create(owner, new TextEncoder().encode(`bench-${n}`));
  // Build the group in one commit (the way a group is created with its members).
  const [{ commit: bulk, welcome }, bulkMs] = await timed(() => session.addMembers(members.map((m) => m.kps[0]!.keyPackage)));
  session.mergePendingCommit();
  const peer = members[0]!;
  const [{ session: peerSession }, joinMs] = await timed(() => MlsGroupSession.join(peer.identity, welcome, peer.kps));

  const figures: Record<string, number> = {};
  const newcomer = await device(n);
  const [add, addMs] = await timed(() => session.addMembers([newcomer.kps[0]!.keyPackage]));
  const [, addProcessMs] = await timed(() => peerSession.processHandshake(add.commit));
  session.mergePendingCommit();
  const [rm, removeMs] = await timed(() => session.removeMembers([{ userId: newcomer.identity.userId, deviceId: 'dev' }]));
  const [, removeProcessMs] = await timed(() => peerSession.processHandshake(rm.commit));
  session.mergePendingCommit();
  const [up, updateMs] = await timed(() => session.update());
  const [, updateProcessMs] = await timed(() => peerSession.processHandshake(up.commit));
  session.mergePendingCommit();
  figures['addCommitBytes'] = add.commit.length;
  figures['removeCommitBytes'] = rm.commit.length;
  figures['updateCommitBytes'] = up.commit.length;

  const plaintext = new Uint8Array(1024).fill(97);
  const runs = 200;
  let encMs = 0;
  let decMs = 0;
  let ctBytes = 0;
  for (let i = 0; i < runs; i++) {
    const [ct, e] = await timed(() => session.encrypt(plaintext));
    const [, d] = await timed(() => peerSession.decrypt(ct));
    encMs += e;
    decMs += d;
    ctBytes = ct.length;
  }
  console.log(JSON.stringify({
    bench: 'mls', members: n, suite: owner.ciphersuite,
    keyPackageMs: round(kpMs / (n - 1), 2),
    createWithAllMembersMs: round(bulkMs), createCommitBytes: bulk.length, welcomeBytes: welcome.length, joinFromWelcomeMs: round(joinMs),
    addOneMs: round(addMs, 2), addProcessMs: round(addProcessMs, 2), addCommitBytes: figures['addCommitBytes'],
    removeOneMs: round(removeMs, 2), removeProcessMs: round(removeProcessMs, 2), removeCommitBytes: figures['removeCommitBytes'],
    updateMs: round(updateMs, 2), updateProcessMs: round(updateProcessMs, 2), updateCommitBytes: figures['updateCommitBytes'],
    encrypt1KbMs: round(encMs / runs, 3), decrypt1KbMs: round(decMs / runs, 3), ciphertextBytes: ctBytes,
  }));
}
