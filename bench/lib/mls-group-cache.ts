// A member's device in a group of `members`, a commit adding `adds` devices to it and, after that, a
// commit adding one more (a join): what bench/mls-main-thread.ts applies, in Node or in Chromium.
// Making a 5,000-member group takes ~45 s here (285-414 s before the third round's crypto), so the
// bytes are kept in a file under /tmp (BENCH_MLS_CACHE_DIR) and reused by later runs of those sizes.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGroupId } from '@parley/mls-public';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../../packages/client/src/mls/index.ts';

export interface CachedGroup {
  /** The member's stored state (MlsGroupSession.serialize) before both commits. */
  state: Uint8Array;
  /** The commit adding `adds` devices (epoch of `state`). */
  addCommit: Uint8Array;
  /** addCommit's Welcome (for the header reads the page does). */
  addWelcome: Uint8Array;
  /** The commit adding one device, made after addCommit. */
  joinCommit: Uint8Array;
  setupMs: number;
  cached: boolean;
}

const dir = process.env['BENCH_MLS_CACHE_DIR'] ?? '/tmp/parley-bench-mls';

function pack(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

function unpack(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = view.getUint32(at);
    out.push(bytes.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

export async function cachedGroup(members: number, adds: number, log: (row: Record<string, unknown>) => void = () => {}): Promise<CachedGroup> {
  const file = join(dir, `group-${members}-${adds}.bin`);
  try {
    const [state, addCommit, addWelcome, joinCommit] = unpack(new Uint8Array(await readFile(file)));
    if (state && addCommit && addWelcome && joinCommit) return { state, addCommit, addWelcome, joinCommit, setupMs: 0, cached: true };
  } catch { /* not made yet */ }
  const t = performance.now();
  let n = 0;
  const id = () => `u${(n++).toString(36)}`;
  const devices = [];
  for (let i = 0; i < members + adds + 1; i++) {
    const identity = await MlsIdentity.generate({ userId: id(), deviceId: id() });
    devices.push({ identity, generated: (await generateKeyPackages(identity, 1))[0]! });
  }
  log({ step: 'setup-key-packages', ms: Math.round(performance.now() - t) });
  const [owner, measured, ...rest] = devices.slice(0, members);
  const session = await MlsGroupSession.create(owner!.identity, new TextEncoder().encode(startGroupId(id(), 0)), {}, 0n);
  const start = await session.addMembers([measured!, ...rest].map((d) => d.generated.keyPackage));
  session.mergePendingCommit();
  log({ step: 'setup-group', ms: Math.round(performance.now() - t) });
  const { session: member } = await MlsGroupSession.join(measured!.identity, start.welcome, [measured!.generated], {}, session.ratchetTreeBytes());
  const state = member.serialize();
  const added = await session.addMembers(devices.slice(members, members + adds).map((d) => d.generated.keyPackage));
  session.mergePendingCommit();
  const joined = await session.addMembers([devices[members + adds]!.generated.keyPackage]);
  session.mergePendingCommit();
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, pack([state, added.commit, added.welcome, joined.commit]));
  await rename(`${file}.tmp`, file);
  return { state, addCommit: added.commit, addWelcome: added.welcome, joinCommit: joined.commit, setupMs: Math.round(performance.now() - t), cached: false };
}

// Run alone, it only makes the cache: node --import tsx bench/lib/mls-group-cache.ts [members] [adds]
if (import.meta.url === `file://${process.argv[1]}`) {
  const members = Number(process.argv[2] ?? 1000);
  const adds = Number(process.argv[3] ?? 100);
  const g = await cachedGroup(members, adds, (row) => console.log(JSON.stringify({ members, ...row })));
  console.log(JSON.stringify({ members, adds, cached: g.cached, setupMs: g.setupMs, stateBytes: g.state.length, addCommitBytes: g.addCommit.length, joinCommitBytes: g.joinCommit.length }));
  process.exit(0);
}
