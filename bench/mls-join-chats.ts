// A user's new device joins all of the user's chats: it generates one key package per chat, a member
// of each chat commits an add of the device, every other member processes that commit, and the new
// device joins from each chat's Welcome. Through Parley's MlsGroupSession, with the device's joins
// repeated on plain ts-mls joinGroup for comparison.
// Usage: node --import tsx bench/mls-join-chats.ts [chats=50] [members=10]
import { emptyPskIndex, getCiphersuiteFromName, getCiphersuiteImpl, joinGroup } from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { MlsGroupSession, generateKeyPackages, MlsIdentity } from '../packages/client/src/mls/index.ts';
import { decodeKeyPackage, decodePrivateKeys } from '../packages/client/src/mls/key-packages.ts';
import { decodeMessage } from '../packages/client/src/mls/wire.ts';
import { round } from './lib/fixture.ts';
import { device, timed } from './lib/mls-fixture.ts';

const chats = Number(process.argv[2] ?? 50);
const size = Number(process.argv[3] ?? 10);

// Every chat has the user's old device plus size-1 other members' devices (already joined).
const [groups, setupMs] = await timed(async () => {
  const out: { committer: MlsGroupSession; others: MlsGroupSession[] }[] = [];
  for (let c = 0; c < chats; c++) {
    const creator = await device(`owner${c}`);
    const others = await Promise.all(Array.from({ length: size - 1 }, (_, i) => device(`u${c}-${i}`)));
    const committer = await MlsGroupSession.create(creator.identity, new TextEncoder().encode(`chat-${c}`));
    const { welcome } = await committer.addMembers(others.map((o) => o.kps[0]!.keyPackage));
    committer.mergePendingCommit();
    const joined = await Promise.all(others.map(async (o) => (await MlsGroupSession.join(o.identity, welcome, o.kps)).session));
    out.push({ committer, others: joined });
  }
  return out;
});

const identity = await MlsIdentity.generate({ userId: 'newcomer', deviceId: 'phone2' });
const [kps, keyPackagesMs] = await timed(() => generateKeyPackages(identity, chats));

let commitMs = 0;
let processMs = 0;
let processCount = 0;
let commitBytes = 0;
let welcomeBytes = 0;
const welcomes: Uint8Array[] = [];
for (const [c, g] of groups.entries()) {
  const [{ commit, welcome }, ms] = await timed(() => g.committer.addMembers([kps[c]!.keyPackage]));
  commitMs += ms;
  commitBytes += commit.length;
  welcomeBytes += welcome.length;
  g.committer.mergePendingCommit();
  for (const o of g.others) {
    const [, p] = await timed(() => o.processHandshake(commit));
    processMs += p;
    processCount++;
  }
  welcomes.push(welcome);
}

const [, joinMs] = await timed(async () => {
  for (const w of welcomes) await MlsGroupSession.join(identity, w, kps);
});
// The same 50 joins on plain ts-mls: the Welcome decoded and joinGroup called with the right key package.
// The baseline is ts-mls as it comes: its default crypto implementation (Parley's adds @noble hashing/HKDF).
const cs = await getCiphersuiteImpl(getCiphersuiteFromName(identity.ciphersuite));
const [, plainJoinMs] = await timed(async () => {
  for (const [c, w] of welcomes.entries()) {
    const kp = kps[c]!;
    await joinGroup(decodeMessage(w, 'mls_welcome').welcome, decodeKeyPackage(kp.keyPackage), decodePrivateKeys(kp.privateKeys, identity), emptyPskIndex, cs, undefined, undefined, defaultClientConfig);
  }
});

console.log(JSON.stringify({
  bench: 'mls-join-chats', chats, membersPerChat: size, setupMs: round(setupMs),
  keyPackagesMs: round(keyPackagesMs, 1),
  addCommitMsPerChat: round(commitMs / chats, 2), commitBytesPerChat: Math.round(commitBytes / chats), welcomeBytesPerChat: Math.round(welcomeBytes / chats),
  processMsPerMember: round(processMs / processCount, 2), processMsAllMembers: round(processMs),
  newDeviceJoinAllMs: round(joinMs), newDeviceJoinPerChatMs: round(joinMs / chats, 2),
  tsMlsJoinAllMs: round(plainJoinMs), joinRatio: round(joinMs / plainJoinMs, 2),
  newDeviceTotalMs: round(keyPackagesMs + joinMs),
}));
