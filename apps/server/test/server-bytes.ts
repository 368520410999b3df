import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every byte the server wrote: database files (incl. WAL) and its log. */
export function serverBytes(dataDir: string, log: Buffer[] = []): Buffer {
  const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => readFileSync(join(d.parentPath, d.name)));
  return Buffer.concat([...files, ...log]);
}

/** The needle as raw bytes and in base64 at each of the three byte alignments. */
export function leaks(haystack: Buffer, needle: Uint8Array): boolean {
  if (haystack.includes(Buffer.from(needle))) return true;
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from([...new Uint8Array(shift), ...needle]).toString('base64');
    const core = b64.slice(Math.ceil((shift * 4) / 3) + 2, -4);
    if (core.length >= 12 && haystack.includes(Buffer.from(core))) return true;
  }
  return false;
}
