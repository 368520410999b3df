import { Inflate } from 'fflate';
import type { PlainSource } from '../files/file-crypto.ts';
import { ImportError, safeMediaPath } from './types.ts';

/**
 * A zip of an export (WhatsApp's "Export chat → Include media", a zipped Telegram folder), read
 * by random access: the central directory first, then one entry at a time, inflated as it streams
 * (fflate), so a 1 GB zip never sits in memory. Hostile zips are refused with `import_too_large`
 * (an entry over its limit, or inflating past its declared size or ratio: a zip bomb) or
 * `import_malformed`/`import_unsafe_path`; ZIP64 (over 4 GB or 65,535 entries) is not read.
 */
export interface ZipLimits {
  /** Most entries (default 100,000). */
  maxEntries?: number;
  /** Largest entry, uncompressed (default 4 GiB, the largest file Parley sends). */
  maxEntryBytes?: number;
  /** Largest uncompressed/compressed ratio of an entry over 1 MiB (default 200; text compresses ~10:1, deflate can reach ~1,000:1). */
  maxRatio?: number;
}

export interface ZipEntry {
  /** The entry's path, checked (safeMediaPath). */
  path: string;
  size: number;
  compressedSize: number;
  method: 0 | 8;
  /** Where its local header starts. */
  offset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Compressed bytes handed to the inflater at a time: deflate's ~1,032:1 bound keeps one step's output under ~17 MB. */
const STEP = 16 * 1024;

export class ExportZip {
  readonly entries: readonly ZipEntry[];
  readonly #src: PlainSource;
  readonly #limits: Required<ZipLimits>;

  private constructor(src: PlainSource, entries: ZipEntry[], limits: Required<ZipLimits>) {
    this.#src = src;
    this.entries = entries;
    this.#limits = limits;
  }

  /** Reads the zip's directory; throws ImportError for what is not a zip this reads, or is over a limit. */
  static async open(src: PlainSource, limits: ZipLimits = {}): Promise<ExportZip> {
    const l: Required<ZipLimits> = { maxEntries: limits.maxEntries ?? 100_000, maxEntryBytes: limits.maxEntryBytes ?? 4 * 1024 ** 3, maxRatio: limits.maxRatio ?? 200 };
    if (src.size < 22) throw new ImportError('import_malformed', 'not a zip file');
    const tailStart = Math.max(0, src.size - 22 - 0xffff);
    const tail = await src.read(tailStart, src.size);
    const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (view.getUint32(i, true) === EOCD) { eocd = i; break; }
    if (eocd < 0) throw new ImportError('import_malformed', 'not a zip file (no end of central directory)');
    const count = view.getUint16(eocd + 10, true);
    const dirSize = view.getUint32(eocd + 12, true);
    const dirOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || dirOffset === 0xffffffff) throw new ImportError('import_malformed', 'ZIP64 archives are not read');
    if (count > l.maxEntries) throw new ImportError('import_too_large', `more than ${l.maxEntries} entries`);
    if (dirOffset + dirSize > src.size) throw new ImportError('import_malformed', 'the central directory lies outside the file');
    const dir = await src.read(dirOffset, dirOffset + dirSize);
    const d = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > dir.length || d.getUint32(p, true) !== CENTRAL) throw new ImportError('import_malformed', 'a broken central directory');
      const flags = d.getUint16(p + 8, true);
      const method = d.getUint16(p + 10, true);
      const compressedSize = d.getUint32(p + 20, true);
      const size = d.getUint32(p + 24, true);
      const nameLength = d.getUint16(p + 28, true);
      const extraLength = d.getUint16(p + 30, true);
      const commentLength = d.getUint16(p + 32, true);
      const offset = d.getUint32(p + 42, true);
      if (p + 46 + nameLength > dir.length) throw new ImportError('import_malformed', 'a broken central directory');
      const raw = new TextDecoder('utf-8').decode(dir.subarray(p + 46, p + 46 + nameLength)); // exporters write UTF-8 names
      p += 46 + nameLength + extraLength + commentLength;
      if (raw.endsWith('/')) continue; // a folder
      if (flags & 1) throw new ImportError('import_malformed', `${raw}: encrypted zip entries are not read`);
      if (method !== 0 && method !== 8) throw new ImportError('import_malformed', `${raw}: compression method ${method} is not read`);
      if (size > l.maxEntryBytes) throw new ImportError('import_too_large', `${raw}: ${size} bytes, over ${l.maxEntryBytes}`);
      if (size > 1024 * 1024 && size > compressedSize * l.maxRatio) throw new ImportError('import_too_large', `${raw}: compressed ${Math.round(size / Math.max(1, compressedSize))}:1 (a zip bomb?)`);
      if (offset + compressedSize > src.size) throw new ImportError('import_malformed', `${raw}: outside the file`);
      entries.push({ path: safeMediaPath(raw), size, compressedSize, method, offset });
    }
    return new ExportZip(src, entries, l);
  }

  /** The entry at this path (as the export names a file), or undefined. */
  find(path: string): ZipEntry | undefined {
    return this.entries.find((e) => e.path === path);
  }

  /**
   * The entry's bytes as they inflate, in pieces; refused the moment it grows past its declared size
   * (`import_too_large`) or ends short of it (`import_malformed`).
   */
  async *bytes(entry: ZipEntry): AsyncGenerator<Uint8Array> {
    const head = await this.#src.read(entry.offset, Math.min(this.#src.size, entry.offset + 30));
    const h = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (head.length < 30 || h.getUint32(0, true) !== LOCAL) throw new ImportError('import_malformed', `${entry.path}: no local header`);
    const start = entry.offset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
    const end = start + entry.compressedSize;
    if (end > this.#src.size) throw new ImportError('import_malformed', `${entry.path}: outside the file`);
    let produced = 0;
    const out: Uint8Array[] = [];
    const take = (chunk: Uint8Array) => {
      produced += chunk.length;
      if (produced > entry.size) throw new ImportError('import_too_large', `${entry.path}: inflates past its declared ${entry.size} bytes (a zip bomb?)`);
      out.push(chunk);
    };
    const inflater = entry.method === 8 ? new Inflate((chunk) => take(chunk)) : undefined;
    for (let at = start; at < end; at += STEP) {
      const piece = await this.#src.read(at, Math.min(end, at + STEP));
      if (inflater) inflater.push(piece, at + STEP >= end);
      else take(piece.slice());
      while (out.length > 0) yield out.shift()!;
    }
    if (inflater && entry.compressedSize === 0) inflater.push(new Uint8Array(0), true);
    while (out.length > 0) yield out.shift()!;
    if (produced !== entry.size) throw new ImportError('import_malformed', `${entry.path}: ${produced} bytes inflated, ${entry.size} declared`);
  }

  /** The entry as text chunks (UTF-8), for the parsers: `parseWhatsApp(zip.text(zip.find('_chat.txt')!))`. */
  async *text(entry: ZipEntry): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8');
    for await (const piece of this.bytes(entry)) yield decoder.decode(piece, { stream: true });
    const rest = decoder.decode();
    if (rest) yield rest;
  }
}
