// MLS costs through Parley's layer (packages/client/src/mls, on ts-mls) against plain ts-mls calls on
// the same group in the same process: key package generation, bulk create, join from a Welcome,
// add/remove/update commits right after the bulk create and in the steady state (every parent node
// set by an update, no unmerged leaves), the time another member takes to process each commit, and
// encrypt/decrypt of a 1 KB message. `steadyMax` skips the steady state above that size (setting it
// up costs n/2 commits).
// Usage: node --import tsx bench/mls.ts [sizes=10,100,1000] [steadyMax=1000]
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  decodeMlsMessage,
  emptyPskIndex,
  encodeMlsMessage,
  encodeGroupState,
  generateKeyPackageWithKey,
  defaultCapabilities,
  processMessage,
  type ClientState,
  type MLSMessage,
  type Proposal,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from 'ts-mls';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../packages/client/src/mls/index.ts';
import { loadCiphersuite } from '../packages/client/src/mls/ciphersuite.ts';
import { decodeKeyPackage } from '../packages/client/src/mls/key-packages.ts';
import { round } from './lib/fixture.ts';
import { device, fillTree, leafSecrets, plainState, sessionFrom, timed, treeShape, type BenchDevice, type LeafSecrets } from './lib/mls-fixture.ts';

const sizes = (process.argv[2] ?? '10,100,1000').split(',').map(Number);
const steadyMax = Number(process.argv[3] ?? 1000);
const log = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const ratio = (p: number, b: number) => round(p / b, 2);

const probe = await MlsIdentity.generate({ userId: 'probe', deviceId: 'dev' });
// The baseline is ts-mls as it comes: its default crypto implementation (Parley's adds @noble hashing/HKDF).
const cs = await getCiphersuiteImpl(getCiphersuiteFromName(probe.ciphersuite));

// Key packages per second: Parley's generateKeyPackages (encode + ref + private key envelope) vs
// ts-mls generateKeyPackageWithKey alone.
{
  const count = 300;
  const [, parleyMs] = await timed(() => generateKeyPackages(probe, count));
  const lifetime = { notBefore: 0n, notAfter: 2n ** 62n };
  const [, plainMs] = await timed(async () => {
    for (let i = 0; i < count; i++) {
      await generateKeyPackageWithKey(probe.credential, defaultCapabilities(), lifetime, [], { signKey: probe.signaturePrivateKey, publicKey: probe.signaturePublicKey }, cs);
    }
  });
  log({ bench: 'mls-key-packages', suite: probe.ciphersuite, count, parleyPerSecond: round(count / (parleyMs / 1000)), tsMlsPerSecond: round(count / (plainMs / 1000)), ratio: ratio(parleyMs, plainMs) });
}

/** Each field's median over `reps` rounds. */
async function medianOf(reps: number, round1: (rep: number) => Promise<Record<string, number>>): Promise<Record<string, number>> {
  const all: Record<string, number>[] = [];
  for (let rep = 0; rep < reps; rep++) all.push(await round1(rep));
  const out: Record<string, number> = { reps };
  for (const k of Object.keys(all[0]!)) {
    const v = all.map((r) => r[k]!).sort((a, b) => a - b);
    out[k] = v[Math.floor(v.length / 2)]!;
  }
  return out;
}

const repsFor = (n: number) => (n <= 100 ? 5 : n <= 1000 ? 3 : 1);

/** Parley and ts-mls each run one commit from the same group state; the member `receiver` processes it (both ways). */
async function commitPair(
  label: string,
  committer: MlsGroupSession,
  receiver: MlsGroupSession,
  parleyCommit: (s: MlsGroupSession) => Promise<{ commit: Uint8Array; welcome?: Uint8Array | undefined }>,
  plainProposals: (s: ClientState) => Proposal[],
  ratchetTreeExtension: boolean,
  baselineFirst: boolean,
): Promise<Record<string, number>> {
  const committerPlain = plainState(committer);
  const receiverPlain = plainState(receiver);
  const parley = async () => {
    const [made, createMs] = await timed(() => parleyCommit(committer));
    const [, processMs] = await timed(() => receiver.processHandshake(made.commit));
    committer.mergePendingCommit();
    return { made, createMs, processMs };
  };
  const plain = async () => {
    const proposals = plainProposals(committerPlain);
    const [r, plainCreateMs] = await timed(() => createCommit({ state: committerPlain, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension }));
    const [wire, plainEncodeMs] = await timed(() => {
      const commit = encodeMlsMessage(r.commit);
      if (r.welcome) encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: r.welcome });
      return commit;
    });
    const [, plainProcessMs] = await timed(async () => {
      const [message] = decodeMlsMessage(wire, 0)!;
      return processMessage(message as MLSMessage & { wireformat: 'mls_private_message' }, receiverPlain, emptyPskIndex, acceptAll, cs);
    });
    return { wire, plainCreateMs, plainEncodeMs, plainProcessMs };
  };
  // Alternate which goes first, so neither always runs on a warmer (or more garbage-laden) heap.
  let p: Awaited<ReturnType<typeof parley>>;
  let b: Awaited<ReturnType<typeof plain>>;
  if (baselineFirst) { b = await plain(); p = await parley(); } else { p = await parley(); b = await plain(); }
  const { made, createMs, processMs } = p;
  const { wire, plainCreateMs, plainEncodeMs, plainProcessMs } = b;
  return {
    [`${label}Ms`]: round(createMs, 2),
    [`${label}TsMlsMs`]: round(plainCreateMs + plainEncodeMs, 2),
    [`${label}TsMlsEncodeMs`]: round(plainEncodeMs, 2),
    [`${label}Ratio`]: ratio(createMs, plainCreateMs + plainEncodeMs),
    [`${label}ProcessMs`]: round(processMs, 2),
    [`${label}ProcessTsMlsMs`]: round(plainProcessMs, 2),
    [`${label}ProcessRatio`]: ratio(processMs, plainProcessMs),
    [`${label}CommitBytes`]: made.commit.length,
    [`${label}TsMlsCommitBytes`]: wire.length,
  };
}

/** add one, remove it again, update: the three commits a chat sees, Parley vs ts-mls. */
async function commitRound(n: number, committer: MlsGroupSession, receiver: MlsGroupSession, rep: number): Promise<Record<string, number>> {
  const newcomer = await device(`new${n}-${rep}`);
  const bf = rep % 2 === 1;
  const kp = newcomer.kps[0]!.keyPackage;
  const add = await commitPair('add', committer, receiver, (s) => s.addMembers([kp]), () => [{ proposalType: 'add', add: { keyPackage: decodeKeyPackage(kp) } }], true, bf);
  const remove = await commitPair(
    'remove', committer, receiver,
    (s) => s.removeMembers([{ userId: newcomer.identity.userId, deviceId: 'dev' }]),
    (s) => {
      const leaf = s.ratchetTree.findIndex((node) => node?.nodeType === 'leaf' && new TextDecoder().decode(node.leaf.credential.credentialType === 'basic' ? node.leaf.credential.identity : new Uint8Array()) === `${newcomer.identity.userId}:dev`);
      return [{ proposalType: 'remove', remove: { removed: leaf / 2 } }];
    },
    false,
    bf,
  );
  const update = await commitPair('update', committer, receiver, (s) => s.update(), () => [], false, bf);
  return { ...add, ...remove, ...update };
}

async function encryptDecrypt(sender: MlsGroupSession, receiver: MlsGroupSession): Promise<Record<string, number>> {
  const plaintext = new Uint8Array(1024).fill(97);
  const runs = 200;
  const senderPlain = plainState(sender);
  let receiverPlain = plainState(receiver);
  let senderState = senderPlain;
  let enc = 0, dec = 0, pEnc = 0, pDec = 0, ctBytes = 0, ser = 0, pSer = 0, stateBytes = 0;
  for (let i = 0; i < runs; i++) {
    const [ct, e] = await timed(() => sender.encrypt(plaintext));
    const [, d] = await timed(() => receiver.decrypt(ct));
    const [wire, pe] = await timed(async () => {
      const r = await createApplicationMessage(senderState, plaintext, cs);
      senderState = r.newState;
      return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage });
    });
    const [, pd] = await timed(async () => {
      const [message] = decodeMlsMessage(wire, 0)!;
      const r = await processMessage(message as MLSMessage & { wireformat: 'mls_private_message' }, receiverPlain, emptyPskIndex, acceptAll, cs);
      receiverPlain = r.newState;
    });
    enc += e; dec += d; pEnc += pe; pDec += pd; ctBytes = ct.length;
  }
  // What the SDK stores after each message it encrypts: the session (reusing unchanged tree nodes'
  // encodings) vs encodeGroupState of the same-shaped baseline state (what it cost before). A loop of
  // its own so the garbage of one does not land in the timing of the other.
  for (let i = 0; i < runs; i++) {
    await sender.encrypt(plaintext);
    senderState = (await createApplicationMessage(senderState, plaintext, cs)).newState;
    const [stored, se] = await timed(() => sender.serialize());
    const [, pse] = await timed(() => encodeGroupState(senderState));
    ser += se; pSer += pse; stateBytes = stored.length;
  }
  return {
    encrypt1KbMs: round(enc / runs, 3), encryptTsMlsMs: round(pEnc / runs, 3), encryptRatio: ratio(enc, pEnc),
    decrypt1KbMs: round(dec / runs, 3), decryptTsMlsMs: round(pDec / runs, 3), decryptRatio: ratio(dec, pDec),
    ciphertextBytes: ctBytes,
    serializeAfterMessageMs: round(ser / runs, 3), encodeGroupStateMs: round(pSer / runs, 3), serializeRatio: ratio(ser, pSer), sessionBytes: stateBytes,
  };
}

for (const n of sizes) {
  const [members, kpMs] = await timed(() => Promise.all(Array.from({ length: n - 1 }, (_, i) => device(`user${i}`))));
  const owner = await device('owner');
  const session = await MlsGroupSession.create(owner.identity, new TextEncoder().encode(`bench-${n}`));
  const [{ commit: bulk, welcome }, bulkMs] = await timed(() => session.addMembers(members.map((m) => m.kps[0]!.keyPackage)));
  session.mergePendingCommit();
  const peer = members[0]!;
  const [{ session: peerSession }, joinMs] = await timed(() => MlsGroupSession.join(peer.identity, welcome, peer.kps));
  const [stored, serializeMs] = await timed(() => session.serialize());
  const [, deserializeMs] = await timed(() => MlsGroupSession.deserialize(stored));
  log({
    bench: 'mls', phase: 'build', members: n, keyPackageMs: round(kpMs / (n - 1), 2),
    createWithAllMembersMs: round(bulkMs), createCommitBytes: bulk.length, welcomeBytes: welcome.length, joinFromWelcomeMs: round(joinMs),
    serializeMs: round(serializeMs, 2), deserializeMs: round(deserializeMs, 2), sessionBytes: stored.length,
  });

  // Right after the bulk create: the first path update must encrypt to every unmerged leaf.
  // Only the first round is really "after bulk": its update fills the owner's path, so later rounds are cheaper.
  const afterBulk = await commitRound(n, session, peerSession, 0);
  log({ bench: 'mls', phase: 'after-bulk-create', members: n, tree: treeShape(plainState(session)), ...afterBulk });
  log({ bench: 'mls', phase: 'messages', members: n, ...(await encryptDecrypt(session, peerSession)) });

  if (n > steadyMax) {
    log({ bench: 'mls', phase: 'steady', members: n, skipped: `steady state set-up (${Math.floor(n / 2)} commits) skipped above steadyMax=${steadyMax}` });
    continue;
  }
  // Steady state: a fresh group of the same size in which every odd leaf has updated (see fillTree).
  const fresh = await MlsGroupSession.create(owner.identity, new TextEncoder().encode(`steady-${n}`));
  await fresh.addMembers(members.map((m) => m.kps[0]!.keyPackage));
  fresh.mergePendingCommit();
  const secrets = new Map<number, LeafSecrets>();
  const byId = new Map<string, BenchDevice>(members.map((m) => [`${m.identity.userId}:dev`, m]));
  for (const m of fresh.members()) {
    const d = byId.get(`${m.userId}:${m.deviceId}`);
    if (d !== undefined) secrets.set(m.leafIndex, leafSecrets(d));
  }
  const [filled, fillMs] = await timed(async () => fillTree(plainState(fresh), secrets, await loadCiphersuite(probe.ciphersuite))); // set-up, not measured: the faster implementation
  // The owner commits (it knows its leaf key and the group's shared secrets), the last updater processes.
  const ownerState = { ...filled.state, privatePath: { leafIndex: fresh.ownLeafIndex, privateKeys: { [fresh.ownLeafIndex * 2]: plainState(fresh).privatePath.privateKeys[fresh.ownLeafIndex * 2]! } }, signaturePrivateKey: owner.identity.signaturePrivateKey };
  const steadyCommitter = await sessionFrom(ownerState, owner.identity.ciphersuite);
  const steadyReceiver = await sessionFrom(filled.state, owner.identity.ciphersuite);
  const shape = treeShape(filled.state);
  const steady = await medianOf(repsFor(n), (rep) => commitRound(n, steadyCommitter, steadyReceiver, rep));
  log({ bench: 'mls', phase: 'steady', members: n, setupCommits: filled.commits, setupMs: round(fillMs), tree: shape, ...steady });
}
