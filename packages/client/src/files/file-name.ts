/**
 * R52: file names come from the sender's device and are shown to others: control characters and
 * bidirectional controls (which can make "cod.exe" look like "exe.doc") are removed before display.
 */
// C0 and C1 controls, DEL; LRM/RLM, ALM; embeddings and overrides LRE..RLO (U+202A-202E); isolates (U+2066-2069).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The name with control and bidi characters removed and outer white space trimmed; '' if nothing is left. */
export function sanitizeFileName(name: string): string {
  return name.replace(UNSAFE, '').trim();
}

/**
 * A name safe to create in a directory: sanitized, no path separators, not '.', '..' or hidden,
 * at most 200 characters (keeping the extension). `fallback` when nothing usable is left.
 */
export function localFileName(name: string, fallback = 'download'): string {
  let safe = sanitizeFileName(name).replace(/[/\\:*?"<>|]/g, '_').replace(/^[.\s]+/, '').trim();
  if (safe.length > 200) {
    const dot = safe.lastIndexOf('.');
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
    safe = safe.slice(0, 200 - ext.length) + ext;
  }
  return safe || fallback;
}
