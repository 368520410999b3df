// Issue 12: the CPU time a member's device spends applying a commit that adds `adds` devices to a
// group of `members`, then one adding one device (a join), in this thread (the SDK's MlsGroupSession,
// the code the web client's MLS worker runs). The join twice: on the state read back from its stored
// bytes (`reopen`, then `joinFromStored`: what a device that opens the group for this commit does)
// and on the session held open through the add (`joinHeldOpen`: what the web client's worker does). `rounds` rounds from the same stored state
// and commits (bench/lib/mls-group-cache.ts, shared with mls-main-thread.ts); median and range.
// Usage: node --import tsx bench/mls-join-cost.ts [members=5000] [adds=100] [rounds=5]
import { MlsGroupSession } from '../packages/client/src/mls/index.ts';
import { cachedGroup } from './lib/mls-group-cache.ts';

const members = Number(process.argv[2] ?? 5000);
const adds = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 5);
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'mls-join-cost', members, adds, ...row }));

/** CPU milliseconds (user + system) of `work`. */
async function cpu<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const t = process.cpuUsage();
  const value = await work();
  const d = process.cpuUsage(t);
  return [value, (d.user + d.system) / 1000];
}

const group = await cachedGroup(members, adds, print);
print({ step: 'setup', ms: group.setupMs, cached: group.cached, storedBytes: group.state.length });
const rows: Record<string, number[]> = { open: [], add: [], store: [], reopen: [], joinFromStored: [], joinHeldOpen: [], encryptAfterJoin: [] };
let sizes: Record<string, number> = {};
for (let i = 0; i < rounds; i++) {
  const [session, open] = await cpu(() => MlsGroupSession.deserialize(group.state.slice()));
  const [, add] = await cpu(() => session.processHandshake(group.addCommit));
  const [afterAdd, store] = await cpu(() => session.serialize());
  const [reopened, reopen] = await cpu(() => MlsGroupSession.deserialize(afterAdd));
  const [, joinFromStored] = await cpu(() => reopened.processHandshake(group.joinCommit));
  const [, joinHeldOpen] = await cpu(() => session.processHandshake(group.joinCommit));
  const [, encryptAfterJoin] = await cpu(() => session.encrypt(new TextEncoder().encode('hello')));
  const afterJoin = session.serialize();
  const hex = async (s: MlsGroupSession) => Buffer.from(await s.exportSecret('bench', new Uint8Array(), 32)).toString('hex');
  if (await hex(session) !== await hex(reopened)) throw new Error('the two joins disagree');
  sizes = { storedBefore: group.state.length, afterAdd: afterAdd.length, afterJoin: afterJoin.length };
  for (const [k, v] of Object.entries({ open, add, store, reopen, joinFromStored, joinHeldOpen, encryptAfterJoin })) rows[k]!.push(v);
  print({ round: i + 1, open: Math.round(open), add: Math.round(add), store: Math.round(store), reopen: Math.round(reopen), joinFromStored: Math.round(joinFromStored), joinHeldOpen: Math.round(joinHeldOpen), encryptAfterJoin: Math.round(encryptAfterJoin) });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [k, xs] of Object.entries(rows)) print({ cpuMs: k, median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) });
print({ bytes: sizes });
process.exit(0);
