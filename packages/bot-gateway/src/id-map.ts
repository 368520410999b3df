import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

type Kind = 'user' | 'chat' | 'message';

interface Snapshot {
  next: number;
  nextUpdate: number;
  /** `${kind}:${parley key}` → integer. */
  ids: Record<string, number>;
}

/**
 * R94: the integers bot libraries expect, for Parley's string ids: each user, chat and message gets
 * one the first time the gateway sees it, the same ever after (kept in the data dir, written
 * to a temp file and renamed, so a crash leaves the old map or the new one). A group's chat id is
 * negative, as Telegram's are. Also keeps the next update id, so update ids only grow across restarts.
 */
export class IdMap {
  readonly #path: string;
  readonly #snap: Snapshot;
  readonly #back = new Map<string, string>();
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#snap = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Snapshot) : { next: 1, nextUpdate: 1, ids: {} };
    for (const [key, n] of Object.entries(this.#snap.ids)) this.#back.set(`${key.slice(0, key.indexOf(':'))}:${n}`, key.slice(key.indexOf(':') + 1));
  }

  /** The integer for a Parley id; `negative` for groups' chats. */
  int(kind: Kind, parleyKey: string, negative = false): number {
    const key = `${kind}:${parleyKey}`;
    const known = this.#snap.ids[key];
    if (known !== undefined) return known;
    const n = (negative ? -1 : 1) * this.#snap.next++;
    this.#snap.ids[key] = n;
    this.#back.set(`${kind}:${n}`, parleyKey);
    this.#save();
    return n;
  }

  /** The Parley id an integer stands for, if the gateway handed it out. */
  parley(kind: Kind, n: number): string | undefined {
    return this.#back.get(`${kind}:${n}`);
  }

  nextUpdateId(): number {
    const id = this.#snap.nextUpdate++;
    this.#save();
    return id;
  }

  /** Writes now (on stop). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return;
    this.#dirty = false;
    writeFileSync(`${this.#path}.tmp`, JSON.stringify(this.#snap), { mode: 0o600 });
    renameSync(`${this.#path}.tmp`, this.#path);
  }

  #save(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => this.flush(), 50).unref();
  }
}
