/** A tiny length-prefixed binary format for our own storage envelopes (not a wire format). */
export class ByteWriter {
  readonly #parts: Uint8Array[] = [];

  u8(n: number): this {
    this.#parts.push(Uint8Array.of(n & 0xff));
    return this;
  }

  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    this.#parts.push(b);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.#parts.push(b.slice());
    return this;
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of this.#parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

/** Reads what ByteWriter wrote; throws RangeError on truncated or trailing input. */
export class ByteReader {
  #offset = 0;
  constructor(private readonly buf: Uint8Array) {}

  u8(): number {
    return this.#take(1)[0] ?? 0;
  }

  u32(): number {
    const b = this.#take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  bytes(): Uint8Array {
    return this.#take(this.u32()).slice();
  }

  string(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
  }

  /** Whether everything was read (for an optional last part). */
  atEnd(): boolean {
    return this.#offset === this.buf.length;
  }

  end(): void {
    if (this.#offset !== this.buf.length) throw new RangeError(`${this.buf.length - this.#offset} trailing bytes`);
  }

  #take(n: number): Uint8Array {
    if (this.#offset + n > this.buf.length) throw new RangeError('truncated input');
    const out = this.buf.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
