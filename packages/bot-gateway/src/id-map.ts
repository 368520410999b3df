import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';

type Kind = 'user' | 'chat' | 'message';

interface Snapshot {
  next: number;
  nextUpdate: number;
  /** `${kind}:${parley key}` → integer. */
  ids: Record<string, number>;
}

/** Update ids handed out between two journal lines: a restart skips what was left of the block (ids only grow). */
const UPDATE_BLOCK = 1000;
/** Journal lines before the snapshot is written again (and the journal emptied). */
const COMPACT_AFTER = 10_000;

/**
 * R94: the integers bot libraries expect, for Parley's string ids: each user, chat and message gets
 * one the first time the gateway sees it, the same ever after. A group's chat id is negative, as
 * Telegram's are. Also keeps the next update id, so update ids only grow across restarts.
 *
 * Kept in the data dir as a snapshot (`ids.json`, written to a temp file and renamed) plus a journal
 * (`ids.json.log`, one JSON line per new id, appended at once): a new id costs one small write, not
 * a rewrite of the whole map (which grew with every message: issue 14's 100 msg/s profile). A crash
 * leaves the snapshot and the journal's whole lines; a torn last line is skipped.
 */
export class IdMap {
  readonly #path: string;
  readonly #journal: string;
  readonly #snap: Snapshot;
  readonly #back = new Map<string, string>();
  #fd: number | undefined;
  #lines = 0;
  /** Update ids below this are covered by the journal (or snapshot). */
  #updatesReserved: number;

  constructor(path: string) {
    this.#path = path;
    this.#journal = `${path}.log`;
    this.#snap = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Snapshot) : { next: 1, nextUpdate: 1, ids: {} };
    if (existsSync(this.#journal)) {
      for (const line of readFileSync(this.#journal, 'utf8').split('\n')) {
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // empty, or torn by a crash
        }
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
        if (entry[0] === '#update') this.#snap.nextUpdate = Math.max(this.#snap.nextUpdate, entry[1]);
        else {
          this.#snap.ids[entry[0]] = entry[1];
          this.#snap.next = Math.max(this.#snap.next, Math.abs(entry[1]) + 1);
        }
      }
    }
    this.#updatesReserved = this.#snap.nextUpdate;
    for (const [key, n] of Object.entries(this.#snap.ids)) this.#back.set(`${key.slice(0, key.indexOf(':'))}:${n}`, key.slice(key.indexOf(':') + 1));
    this.flush();
  }

  /** The integer for a Parley id; `negative` for groups' chats. */
  int(kind: Kind, parleyKey: string, negative = false): number {
    const key = `${kind}:${parleyKey}`;
    const known = this.#snap.ids[key];
    if (known !== undefined) return known;
    const n = (negative ? -1 : 1) * this.#snap.next++;
    this.#snap.ids[key] = n;
    this.#back.set(`${kind}:${n}`, parleyKey);
    this.#append([key, n]);
    return n;
  }

  /** The Parley id an integer stands for, if the gateway handed it out. */
  parley(kind: Kind, n: number): string | undefined {
    return this.#back.get(`${kind}:${n}`);
  }

  nextUpdateId(): number {
    const id = this.#snap.nextUpdate++;
    if (this.#snap.nextUpdate > this.#updatesReserved) {
      this.#updatesReserved = id + UPDATE_BLOCK;
      this.#append(['#update', this.#updatesReserved]);
    }
    return id;
  }

  /** Writes the snapshot and empties the journal (at start, on stop, and every COMPACT_AFTER new ids). */
  flush(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    const snap: Snapshot = { ...this.#snap, nextUpdate: Math.max(this.#snap.nextUpdate, this.#updatesReserved) };
    writeFileSync(`${this.#path}.tmp`, JSON.stringify(snap), { mode: 0o600 });
    renameSync(`${this.#path}.tmp`, this.#path);
    rmSync(this.#journal, { force: true });
    this.#fd = undefined;
    this.#lines = 0;
  }

  #append(entry: [string, number]): void {
    this.#fd ??= openSync(this.#journal, 'a', 0o600);
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
    if (++this.#lines >= COMPACT_AFTER) this.flush();
  }
}
