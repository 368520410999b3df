import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ReplayWindow, SFRAME_SUITES, SFrameError, decodeHeader, deriveSFrameKey, encodeHeader, sframeDecrypt, sframeEncrypt, type SFrameErrorCode, type SFrameSuiteName } from './sframe.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

async function rejectsWith(p: Promise<unknown>, code: SFrameErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SFrameError && e.code === code);
}

/** RFC 9605 §4.4 written again with node:crypto (OpenSSL): an oracle that shares no code with sframe.ts. */
function oracle(suite: SFrameSuiteName, baseKey: Uint8Array, kid: bigint, ctr: bigint, metadata: Uint8Array, pt: Uint8Array): Uint8Array {
  const s = SFRAME_SUITES[suite];
  const info = (label: string) => {
    const kidBytes = Buffer.alloc(8);
    kidBytes.writeBigUInt64BE(kid);
    return Buffer.concat([Buffer.from(label), kidBytes, Buffer.from([s.id >> 8, s.id & 0xff])]);
  };
  const hash = s.hash.replace('-', '').toLowerCase();
  const key = Buffer.from(hkdfSync(hash, baseKey, Buffer.alloc(0), info('SFrame 1.0 Secret key '), s.nk));
  const salt = Buffer.from(hkdfSync(hash, baseKey, Buffer.alloc(0), info('SFrame 1.0 Secret salt '), 12));
  const ctrBytes = Buffer.alloc(12);
  ctrBytes.writeBigUInt64BE(ctr, 4);
  const nonce = Buffer.from(salt.map((b, i) => b ^ ctrBytes[i]!));
  const header = encodeHeader(kid, ctr);
  const cipher = createCipheriv(s.nk === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.concat([header, metadata]));
  return new Uint8Array(Buffer.concat([header, cipher.update(pt), cipher.final(), cipher.getAuthTag()]));
}

describe('R64 SFrame (RFC 9605)', () => {
  it('R64 headers: values 0-7 sit in the config byte, larger ones follow in the fewest big-endian bytes, KID first', () => {
    const cases: [bigint, bigint, string][] = [
      [0n, 0n, '00'], [0n, 7n, '07'], [7n, 7n, '77'], [0n, 8n, '0808'], [0n, 255n, '08ff'], [0n, 256n, '090100'],
      [8n, 0n, '8008'], [0x1234n, 0x56n, '9812345' + '6'], [3n, 0x10000n, '3a010000'], [(1n << 64n) - 1n, (1n << 64n) - 1n, 'ff' + 'ff'.repeat(16)],
    ];
    for (const [kid, ctr, want] of cases) {
      assert.equal(hex(encodeHeader(kid, ctr)), want, `kid ${kid} ctr ${ctr}`);
      const h = decodeHeader(unhex(want + 'abcd'));
      assert.deepEqual([h.kid, h.ctr, h.length], [kid, ctr, want.length / 2]);
    }
  });

  it('R64 a header that is cut short or not minimally encoded is refused', () => {
    for (const bad of ['', '08', '8000', '0800', '090012', '8107']) {
      assert.throws(() => decodeHeader(unhex(bad)), (e: unknown) => e instanceof SFrameError && e.code === 'malformed', bad);
    }
  });

  for (const suite of Object.keys(SFRAME_SUITES) as SFrameSuiteName[]) {
    it(`R64 ${suite}: the ciphertext is the one an independent implementation (OpenSSL) makes, and it decrypts back`, async () => {
      const baseKey = crypto.getRandomValues(new Uint8Array(SFRAME_SUITES[suite].nk));
      for (const [kid, ctr] of [[0n, 0n], [0x123n, 0x4567n], [(1n << 40n) + 5n, 1n << 33n]] as const) {
        const k = await deriveSFrameKey(baseKey, kid, suite);
        const pt = crypto.getRandomValues(new Uint8Array(160));
        const meta = unhex('9d012a');
        const ct = await sframeEncrypt(k, ctr, pt, meta);
        assert.equal(hex(ct), hex(oracle(suite, baseKey, kid, ctr, meta, pt)));
        assert.deepEqual(await sframeDecrypt(k, ct, meta), pt);
      }
    });
  }

  it('R64 a changed header, body, tag or metadata, a wrong key or another KID\'s key: the frame is refused, no plaintext comes out', async () => {
    const baseKey = crypto.getRandomValues(new Uint8Array(16));
    const k = await deriveSFrameKey(baseKey, 0x31n);
    const pt = new TextEncoder().encode('a frame of Opus, or of VP8');
    const ct = await sframeEncrypt(k, 9n, pt);
    for (const at of [0, 1, 2, 5, ct.length - 1]) {
      const bad = ct.slice();
      bad[at]! ^= at === 0 ? 0x01 : 0x40; // at 0: the CTR bits of the config byte
      await assert.rejects(sframeDecrypt(k, bad), SFrameError, `byte ${at} flipped`);
    }
    await rejectsWith(sframeDecrypt(k, ct, unhex('00')), 'auth_failed');
    await rejectsWith(sframeDecrypt(await deriveSFrameKey(crypto.getRandomValues(new Uint8Array(16)), 0x31n), ct), 'auth_failed');
    await rejectsWith(sframeDecrypt(await deriveSFrameKey(baseKey, 0x32n), ct), 'unknown_kid');
    await rejectsWith(sframeDecrypt(k, ct.subarray(0, 10)), 'malformed');
  });

  it('R64 the replay window takes each CTR once, out of order within the window, never from before it', () => {
    const w = new ReplayWindow(8);
    for (const c of [0n, 2n, 1n, 5n]) assert.equal(w.accept(c), true, `first ${c}`);
    assert.equal(w.accept(2n), false);
    assert.equal(w.accept(5n), false);
    assert.equal(w.accept(20n), true);
    assert.equal(w.fresh(12n), false, 'more than the window behind the highest');
    assert.equal(w.accept(13n), true);
    for (let c = 21n; c < 200n; c++) assert.equal(w.accept(c), true);
    assert.equal(w.accept(150n), false);
  });

  /**
   * The RFC's own vectors (appendix C), from the SFrame working group's test-vectors.json when
   * SFRAME_TEST_VECTORS names a copy (another project's data: not in this repository).
   */
  const vectorsPath = process.env.SFRAME_TEST_VECTORS;
  it('R64 RFC 9605 test vectors: headers, and SFrame encryption for both GCM suites', { skip: vectorsPath ? false : 'SFRAME_TEST_VECTORS not set' }, async () => {
    // Counters up to 2^64 - 1 don't fit a JSON number: read every number as a string.
    const v = JSON.parse(readFileSync(vectorsPath!, 'utf8').replace(/("[a-z_]+"):\s*(\d+)/g, '$1: "$2"')) as {
      header: { kid: string; ctr: string; encoded: string }[];
      sframe: { cipher_suite: string; kid: string; ctr: string; base_key: string; sframe_key: string; sframe_salt: string; metadata: string; pt: string; ct: string }[];
    };
    for (const h of v.header) {
      assert.equal(hex(encodeHeader(BigInt(h.kid), BigInt(h.ctr))), h.encoded);
      const d = decodeHeader(unhex(h.encoded));
      assert.deepEqual([d.kid, d.ctr], [BigInt(h.kid), BigInt(h.ctr)]);
    }
    let run = 0;
    for (const t of v.sframe) {
      const suite = (Object.keys(SFRAME_SUITES) as SFrameSuiteName[]).find((n) => SFRAME_SUITES[n].id === Number(t.cipher_suite));
      if (!suite) continue; // the AES-CTR + HMAC suites are not offered
      const k = await deriveSFrameKey(unhex(t.base_key), BigInt(t.kid), suite);
      assert.equal(hex(k.salt), t.sframe_salt);
      const ct = await sframeEncrypt(k, BigInt(t.ctr), unhex(t.pt), unhex(t.metadata));
      assert.equal(hex(ct), t.ct, `suite ${t.cipher_suite}`);
      assert.equal(hex(await sframeDecrypt(k, ct, unhex(t.metadata))), t.pt);
      run++;
    }
    assert.equal(run, 2, 'both GCM suites have a vector');
  });
});
