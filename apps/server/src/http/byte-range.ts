/** One satisfiable byte range of a resource, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * R55: an HTTP `Range` header against a resource of `length` bytes (RFC 9110 §14). One range only:
 * a header that is absent, not `bytes=`, malformed or names several ranges is ignored ('whole', as
 * the RFC lets a server do); a well-formed range that starts past the end is 'unsatisfiable' (416).
 */
export function parseRange(header: string | undefined, length: number): ByteRange | 'whole' | 'unsatisfiable' {
  if (header === undefined) return 'whole';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return 'whole';
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return 'whole';
  if (first.length > 16 || last.length > 16) return 'whole';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return 'whole';
  if (start >= length) return 'unsatisfiable';
  return { start, end: last === '' ? length - 1 : Math.min(Number(last), length - 1) };
}
