import { FILE_CHUNK_TAG_BYTES, ParleyError } from '@parley/protocol';
import { chunkNonce, concat, type ChunkLayout } from './file-crypto.ts';
import { nodeModule } from './sources.ts';

// R52's chunks with Node's own AES-256-GCM (OpenSSL, on the calling thread), loaded by
// file-crypto.ts only where the SDK runs in Node (the CLI, bots, tests). The bytes are the same as
// Web Crypto's (file-crypto-engines.test.ts seals and opens across the two). Web Crypto in Node
// costs a thread-pool job per chunk, copies its input and returns a fresh zero-filled buffer: a
// profile of a 1 GiB download put 2.9 s of the client's ~11 CPU seconds there, against ~0.8 s here.

/**
 * What this file uses of node:crypto, written out so that the SDK's declarations don't name
 * node:crypto (a consumer of the package need not have @types/node).
 */
interface GcmCipher { update(data: Uint8Array): Uint8Array; final(): Uint8Array; getAuthTag(): Uint8Array }
interface GcmDecipher { update(data: Uint8Array): Uint8Array; setAuthTag(tag: Uint8Array): unknown; final(): Uint8Array }
type NodeKey = object;
interface NodeCryptoGcm {
  KeyObject: { from(key: CryptoKey): NodeKey };
  createCipheriv(algorithm: 'aes-256-gcm', key: NodeKey, iv: Uint8Array): GcmCipher;
  createDecipheriv(algorithm: 'aes-256-gcm', key: NodeKey, iv: Uint8Array): GcmDecipher;
}

/** One file's key for Node's cipher. */
export class NodeGcm {
  readonly #crypto: NodeCryptoGcm;
  readonly #key: NodeKey;

  private constructor(crypto: NodeCryptoGcm, key: NodeKey) {
    this.#crypto = crypto;
    this.#key = key;
  }

  /** The same key as the Web Crypto one (a non-extractable CryptoKey converts without leaving the process). */
  static async of(key: CryptoKey): Promise<NodeGcm> {
    const crypto = await nodeModule<NodeCryptoGcm>('node:crypto');
    return new NodeGcm(crypto, crypto.KeyObject.from(key));
  }

  /**
   * Seals chunks `first`..`last`, whose plaintext is `plain` (from chunk `first`'s start), into
   * `out` (at least their ciphertext long), one after the other as the blob holds them.
   */
  sealInto(layout: ChunkLayout, first: number, last: number, plain: Uint8Array, out: Uint8Array): void {
    let from = 0;
    let at = 0;
    for (let i = first; i <= last; i++) {
      const span = layout.plainSpan(i);
      const length = span.end - span.start;
      const cipher = this.#crypto.createCipheriv('aes-256-gcm', this.#key, chunkNonce(i, layout.isLast(i)));
      out.set(cipher.update(plain.subarray(from, from + length)), at);
      cipher.final(); // GCM: no bytes held back
      out.set(cipher.getAuthTag(), at + length);
      from += length;
      at += length + FILE_CHUNK_TAG_BYTES;
    }
  }

  /** Opens one sealed chunk (tests and small reads); anything altered fails as `file_damaged`. */
  open(layout: ChunkLayout, index: number, sealed: Uint8Array): Uint8Array {
    const opener = this.opener(layout, index, index);
    const plain = opener.push(sealed);
    opener.end();
    return concat(plain);
  }

  opener(layout: ChunkLayout, first: number, last: number): NodeChunkOpener {
    return new NodeChunkOpener(this.#crypto, this.#key, layout, first, last);
  }
}

/**
 * Opens a stream of ciphertext starting at chunk `first`, as ChunkOpener does, but deciphers each
 * network piece where it lies, never joining pieces into whole chunks: a chunk's plaintext is held
 * back until its tag checked, then given out in the pieces it came in.
 */
export class NodeChunkOpener {
  readonly #crypto: NodeCryptoGcm;
  readonly #key: NodeKey;
  readonly #layout: ChunkLayout;
  readonly #lastIndex: number;
  #index: number;
  #decipher: GcmDecipher | undefined;
  /** Ciphertext bytes of the current chunk still to come before its tag. */
  #bodyLeft = 0;
  readonly #tag = new Uint8Array(FILE_CHUNK_TAG_BYTES);
  #tagFilled = 0;
  /** Plaintext of the current chunk, not yet checked. */
  #held: Uint8Array[] = [];

  constructor(crypto: NodeCryptoGcm, key: NodeKey, layout: ChunkLayout, first: number, last: number) {
    this.#crypto = crypto;
    this.#key = key;
    this.#layout = layout;
    this.#index = first;
    this.#lastIndex = last;
  }

  /** Plaintext of the chunks these bytes complete, in order (several pieces per chunk). */
  push(bytes: Uint8Array): Uint8Array[] {
    const done: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (this.#index > this.#lastIndex) throw new ParleyError('file_damaged', 'more bytes than the file has');
      if (!this.#decipher) this.#begin();
      const decipher = this.#decipher!;
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, bytes.length - at);
        const plain = decipher.update(bytes.subarray(at, at + take));
        // A plain Uint8Array view, as Web Crypto's path gives (not a Buffer).
        this.#held.push(new Uint8Array(plain.buffer, plain.byteOffset, plain.length));
        this.#bodyLeft -= take;
        at += take;
        continue;
      }
      const take = Math.min(FILE_CHUNK_TAG_BYTES - this.#tagFilled, bytes.length - at);
      this.#tag.set(bytes.subarray(at, at + take), this.#tagFilled);
      this.#tagFilled += take;
      at += take;
      if (this.#tagFilled < FILE_CHUNK_TAG_BYTES) continue;
      try {
        decipher.setAuthTag(this.#tag);
        decipher.final();
      } catch {
        throw new ParleyError('file_damaged', `chunk ${this.#index} failed its check`);
      }
      for (const piece of this.#held) if (piece.length > 0) done.push(piece);
      this.#held = [];
      this.#decipher = undefined;
      this.#index += 1;
    }
    return done;
  }

  /** The stream ended: every chunk asked for must have come, whole. */
  end(): void {
    if (this.#index <= this.#lastIndex) throw new ParleyError('file_damaged', `the file ends before chunk ${this.#index} is complete`);
  }

  #begin(): void {
    const span = this.#layout.plainSpan(this.#index);
    this.#decipher = this.#crypto.createDecipheriv('aes-256-gcm', this.#key, chunkNonce(this.#index, this.#layout.isLast(this.#index)));
    this.#bodyLeft = span.end - span.start;
    this.#tagFilled = 0;
  }
}
