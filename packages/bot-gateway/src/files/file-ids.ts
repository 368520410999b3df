import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Attachment } from '@parley/protocol';

/**
 * The files a bot's device can read (it received them or sent them), by blob id, with what opens
 * them (the attachment, key included): a bot API's file id is the blob id, and the gateway looks the
 * key up here to decrypt a download or to send the file again without uploading it (R54). Kept in
 * the data dir (mode 0600, like the device's MLS state), written to a temp file and renamed.
 * Shared by the Telegram and Max facades.
 */
export class FileIds {
  readonly #path: string;
  readonly #files: Map<string, Attachment>;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;

  constructor(path: string) {
    this.#path = path;
    const raw = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown[]) : [];
    this.#files = new Map(raw.flatMap((a) => {
      const parsed = Attachment.safeParse(a);
      return parsed.success ? [[parsed.data.blobId, parsed.data] as const] : [];
    }));
  }

  /** Remembers what opens these files; answers their file ids. */
  remember(attachments: readonly Attachment[]): string[] {
    for (const a of attachments) {
      if (this.#files.has(a.blobId)) continue;
      this.#files.set(a.blobId, a);
      this.#dirty = true;
    }
    if (this.#dirty) this.#timer ??= setTimeout(() => this.flush(), 50).unref();
    return attachments.map((a) => a.blobId);
  }

  get(fileId: string): Attachment | undefined {
    return this.#files.get(fileId);
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
