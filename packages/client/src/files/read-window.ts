/**
 * The two trims every ciphertext read does, shared by the fetch path (download.ts) and Node's lean
 * reader (download-stream.ts): the ciphertext bytes of the chunks asked for (a server that ignored the
 * Range header sends the whole blob, so its answer is skipped to and cut at the span), and the plaintext
 * bytes of the range asked for out of the opened chunks.
 */
export class CipherTrim {
  private skip: number;
  private keep: number;

  /** `status` is the answer's HTTP status: 206 holds the span already, 200 the whole blob. */
  constructor(status: number, span: { start: number; end: number }, whole: boolean) {
    this.skip = status === 200 ? span.start : 0;
    this.keep = status === 200 && !whole ? span.end - span.start : Number.POSITIVE_INFINITY;
  }

  /** The part of a received piece that belongs to the span (maybe empty). */
  take(piece: Uint8Array): Uint8Array {
    if (this.skip > 0) {
      const s = Math.min(this.skip, piece.length);
      this.skip -= s;
      piece = piece.subarray(s);
    }
    if (piece.length > this.keep) piece = piece.subarray(0, this.keep);
    this.keep -= piece.length;
    return piece;
  }

  /** The span is complete: the rest of a whole-blob answer is not wanted. */
  get done(): boolean {
    return this.keep === 0;
  }
}

/** Cuts opened chunks, in order from plaintext offset `at`, to the plaintext range [start, end). */
export class PlainWindow {
  constructor(private at: number, private readonly start: number, private readonly end: number) {}

  /** The part of the next opened chunk inside the range, or undefined when none of it is. */
  cut(plain: Uint8Array): Uint8Array | undefined {
    const from = Math.max(0, this.start - this.at);
    const to = Math.min(plain.length, this.end - this.at);
    this.at += plain.length;
    return to > from ? plain.subarray(from, to) : undefined;
  }
}
