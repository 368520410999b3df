import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Attachment } from '@parley/protocol';

/** Files remembered at most by default (`--max-files`); past it the least recently used is forgotten. */
export const DEFAULT_MAX_FILES = 10_000;

/**
 * The files a bot's device can read (it received them or sent them), by blob id, with what opens
 * them (the attachment, key included): a bot API's file id is the blob id, and the gateway looks the
 * key up here to decrypt a download or to send the file again without uploading it (R54). Kept in
 * the data dir (mode 0600, like the device's MLS state), written to a temp file and renamed.
 * Shared by the Telegram and Max facades. Bounded: at most `maxKept` files, the least recently used
 * (received, sent, read or sent again) forgotten first; a forgotten file's id answers "wrong file
 * identifier" (the bot gets it again only if someone sends it again).
 */
export class FileIds {
  readonly #path: string;
  readonly #files: Map<string, Attachment>;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #slow = false;

  readonly #maxKept: number;
  /** Files forgotten since the gateway started (logged). */
  forgotten = 0;

  constructor(path: string, maxKept = DEFAULT_MAX_FILES) {
    this.#path = path;
    this.#maxKept = maxKept;
    const raw = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown[]) : [];
    this.#files = new Map(raw.flatMap((a) => {
      const parsed = Attachment.safeParse(a);
      return parsed.success ? [[parsed.data.blobId, parsed.data] as const] : [];
    }));
    this.#evict();
  }

  /** Remembers what opens these files; answers their file ids. */
  remember(attachments: readonly Attachment[]): string[] {
    let added = false;
    for (const a of attachments) {
      const known = this.#files.get(a.blobId);
      this.#files.delete(a.blobId); // a Map keeps insertion order: the end is the most recently used
      this.#files.set(a.blobId, known ?? a);
      added ||= known === undefined;
    }
    this.#evict();
    this.#save(added);
    return attachments.map((a) => a.blobId);
  }

  get(fileId: string): Attachment | undefined {
    const a = this.#files.get(fileId);
    if (a) {
      this.#files.delete(fileId);
      this.#files.set(fileId, a);
      this.#save(false);
    }
    return a;
  }

  /** A new file is written within 50 ms (its key must survive a crash); a new order only within 5 s. */
  #save(added: boolean): void {
    this.#dirty = true;
    if (added && this.#slow) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#timer) return;
    this.#slow = !added;
    this.#timer = setTimeout(() => this.flush(), added ? 50 : 5000).unref();
  }

  #evict(): void {
    while (this.#files.size > this.#maxKept) {
      this.#files.delete(this.#files.keys().next().value!);
      this.forgotten++;
    }
  }

  get size(): number { return this.#files.size; }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return;
    this.#dirty = false;
    writeFileSync(`${this.#path}.tmp`, JSON.stringify([...this.#files.values()]), { mode: 0o600 });
    renameSync(`${this.#path}.tmp`, this.#path);
  }
}
