// Hostile WebSocket input, shared by the fuzz test (apps/server/test/fuzz-ws.test.ts) and the long fuzz
// benchmark (bench/fuzz.ts): every client frame type from a valid shape, the same with a field
// mutated, envelopes with random and mutated (real MLS) payloads, and raw garbage. `expectReply`
// is the oracle: what R13 and the close codes of docs/PROTOCOL.md say the server answers to each.
import fc from 'fast-check';
import { ClientFrame, type ClientFrameType } from '@parley/protocol';

export interface FrameFuzzContext {
  /** Chats the fuzzing device's user is a member of, so its frames reach the domain code. */
  memberChatIds: readonly string[];
  /** Chats it is not a member of (R10 must refuse it) and ids of no chat at all. */
  otherChatIds: readonly string[];
  /** Its own session token, for an `auth` frame sent again. */
  token: string;
  /** Real `parley/mls-commit` payloads (base64, u32 length ‖ commit ‖ Welcome) of an honest chat, to truncate and flip. */
  mlsCommits: readonly string[];
  /** Real `parley/mls-app` payloads (base64 PrivateMessages) of an honest chat. */
  mlsMessages: readonly string[];
  maxEnvelopeBytes: number;
  maxFrameBytes: number;
}

/** One WebSocket frame to send: a JSON value, any text, or bytes (a binary frame, or a text frame that may not be UTF-8). */
export type FuzzFrame =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array; binary: boolean };

/** Every frame type the schema knows: a new one is fuzzed only once `VALID` has a generator for it (a type error until then). */
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = ClientFrame.options.map((o) => o.shape.type.value);

export const FUZZ_CONTENT_TYPES = ['parley/mls-app', 'parley/mls-commit', 'parley/plain+json'] as const;

const ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
const CT_CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789.+/-'];
const B64_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'];
const chars = (set: string[], minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...set), minLength, maxLength });

const anId = chars(ID_CHARS, 8, 64);
/** A few fixed ids recur, so resends of one client id (R1, R16) and send/commit clashes happen. */
const clientMsgId = fc.oneof({ arbitrary: anId, weight: 5 }, { arbitrary: fc.constantFrom('fuzz-dup-0001', 'fuzz-dup-0002', 'fuzz-dup-0003'), weight: 1 });
const rid = fc.oneof({ arbitrary: chars(ID_CHARS, 1, 64), weight: 8 }, { arbitrary: fc.constantFrom('r', 'same-rid'), weight: 1 });

const pick = <T>(items: readonly T[], fallback: fc.Arbitrary<T>): fc.Arbitrary<T> => (items.length ? fc.constantFrom(...items) : fallback);

function chatId(ctx: FrameFuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: pick(ctx.memberChatIds, anId), weight: 8 },
    { arbitrary: pick(ctx.otherChatIds, anId), weight: 2 },
    { arbitrary: anId, weight: 1 },
  );
}

/** Deterministic filler bytes (fast for large payloads; fast-check's arrays are slow at 64 KiB). */
function filler(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A real MLS payload, damaged: truncated, a byte flipped, its commit length rewritten, parts dropped or doubled. */
function mutatedMls(sources: readonly string[]): fc.Arbitrary<string> {
  if (sources.length === 0) return fc.uint8Array({ maxLength: 600 }).map(b64);
  return fc.record({
    src: fc.constantFrom(...sources),
    op: fc.constantFrom('truncate', 'flip', 'length', 'head', 'tail', 'double', 'asis'),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
    length: fc.constantFrom(0, 1, 3, 4, 0x7fffffff, 0xffffffff, -1),
  }).map(({ src, op, at, mask, length }) => {
    const bytes = Buffer.from(src, 'base64');
    const i = bytes.length ? at % bytes.length : 0;
    const declared = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
    switch (op) {
      case 'truncate': return b64(bytes.subarray(0, i));
      case 'flip': { const copy = Buffer.from(bytes); if (copy.length) copy[i] = copy[i]! ^ mask; return b64(copy); }
      case 'length': {
        const copy = Buffer.from(bytes);
        if (copy.length >= 4) copy.writeUInt32BE(length === -1 ? Math.min(0xffffffff, declared + 1) : length, 0);
        return b64(copy);
      }
      case 'head': return b64(bytes.subarray(0, Math.min(bytes.length, 4 + declared))); // the commit without its Welcome
      case 'tail': return b64(bytes.subarray(Math.min(bytes.length, 4 + declared))); // only the Welcome
      case 'double': return b64(Buffer.concat([bytes, bytes.subarray(4)]));
      default: return src;
    }
  });
}

/** Plausible `Content` JSON (for `parley/plain+json`), and JSON that is not. */
const plainContent = fc.oneof(
  fc.record({ kind: fc.constant('text'), text: fc.string({ maxLength: 200 }) }),
  fc.record({ kind: fc.constantFrom('edit', 'delete', 'reaction', 'pin', 'chat_info', 'history', 'resend_request', 'resent', 'key_log_heads'), target: anId, text: fc.string() }, { requiredKeys: ['kind'] }),
  fc.jsonValue({ maxDepth: 3 }),
).map((v) => b64(Buffer.from(JSON.stringify(v) ?? 'null')));

function envelope(ctx: FrameFuzzContext, preferred: (typeof FUZZ_CONTENT_TYPES)[number]): fc.Arbitrary<{ contentType: string; payload: string }> {
  const contentType = fc.oneof(
    { arbitrary: fc.constant(preferred), weight: 4 },
    { arbitrary: fc.constantFrom(...FUZZ_CONTENT_TYPES), weight: 3 },
    { arbitrary: chars(CT_CHARS, 1, 64), weight: 1 },
  );
  const payload = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map(b64), weight: 4 },
    { arbitrary: mutatedMls(ctx.mlsCommits), weight: 4 },
    { arbitrary: mutatedMls(ctx.mlsMessages), weight: 3 },
    { arbitrary: plainContent, weight: 2 },
    { arbitrary: fc.tuple(fc.integer({ min: 0, max: ctx.maxEnvelopeBytes }), fc.integer()).map(([n, seed]) => b64(filler(Math.floor((n * 3) / 4), seed))), weight: 1 },
    // Not canonical base64, or not decodable at all, though the schema's regex takes it.
    { arbitrary: fc.constantFrom('', '=', '==', 'A', 'AB', 'AB=', 'AB==', 'ABC', 'A///', '////'), weight: 1 },
    { arbitrary: chars(B64_CHARS, 0, 50), weight: 1 },
  );
  const plain = fc.record({ contentType, payload });
  // At the size limit (R7): content type + payload one below, at and one above.
  const atLimit = fc.tuple(contentType, fc.integer({ min: -1, max: 1 }))
    .map(([ct, delta]) => ({ contentType: ct, payload: 'A'.repeat(Math.max(0, ctx.maxEnvelopeBytes - ct.length + delta)) }));
  return fc.oneof({ arbitrary: plain, weight: 30 }, { arbitrary: atLimit, weight: 1 });
}

/** A schema-valid frame of each type (the schema's own test checks that they are). */
const VALID: { [T in ClientFrameType]: (ctx: FrameFuzzContext) => fc.Arbitrary<Extract<ClientFrame, { type: T }>> } = {
  auth: (ctx) => fc.record({
    type: fc.constant('auth' as const),
    v: fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 1 }),
    token: fc.oneof(fc.constant(ctx.token), fc.string({ minLength: 1, maxLength: 200 })),
  }),
  send: (ctx) => fc.record({ type: fc.constant('send' as const), rid, chatId: chatId(ctx), clientMsgId, envelope: envelope(ctx, 'parley/mls-app') }),
  commit: (ctx) => fc.record({
    type: fc.constant('commit' as const), rid, chatId: chatId(ctx), clientMsgId,
    // Low epochs win now and then (a chat starts at 0), so accepted commits move the epoch on.
    epoch: fc.oneof({ arbitrary: fc.nat({ max: 12 }), weight: 8 }, { arbitrary: fc.constantFrom(2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER - 1), weight: 1 }),
    envelope: envelope(ctx, 'parley/mls-commit'),
  }),
  history: (ctx) => fc.record({
    type: fc.constant('history' as const), rid, chatId: chatId(ctx),
    afterSeq: fc.oneof(fc.nat({ max: 40 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    beforeSeq: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    limit: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant(10_000)),
  }, { requiredKeys: ['type', 'rid', 'chatId'] }),
  chats: (ctx) => fc.record({
    type: fc.constant('chats' as const), rid, after: chatId(ctx),
    limit: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(10_000)),
  }, { requiredKeys: ['type', 'rid'] }),
  receipt: (ctx) => fc.record({
    type: fc.constant('receipt' as const), chatId: chatId(ctx), kind: fc.constantFrom('delivered' as const, 'read' as const),
    upToSeq: fc.oneof(fc.nat({ max: 50 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  }),
  typing: (ctx) => fc.record({ type: fc.constant('typing' as const), chatId: chatId(ctx) }),
  ping: () => fc.record({ type: fc.constant('ping' as const), rid }),
};

/** A schema-valid frame of one type. */
export function validFrame(type: ClientFrameType, ctx: FrameFuzzContext): fc.Arbitrary<ClientFrame> {
  const make = VALID[type] as ((c: FrameFuzzContext) => fc.Arbitrary<ClientFrame>) | undefined;
  if (!make) throw new Error(`no fuzz generator for client frame type "${type}": add one to packages/testing/src/fuzz-frames.ts`);
  return make(ctx);
}

const deep = (depth: number): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

/** Values of the wrong type or at the edges: huge and empty strings, huge and negative numbers, NaN (null in JSON), deep nesting. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, false, 0, -1, -0, 0.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 64, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.NaN, Infinity), weight: 4 },
  { arbitrary: fc.constantFrom('', ' ', '0', '1', '-1', 'NaN', '1e999', '\u0000', '\ud800', '\udfff', '🦜', 'null', '__proto__', 'constructor', 'toString', '../../etc/passwd', '%00', "'; DROP TABLE messages; --"), weight: 4 },
  { arbitrary: fc.string({ maxLength: 80, unit: 'binary' }), weight: 2 },
  { arbitrary: fc.integer({ min: 65, max: 100_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double()), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.integer({ min: 2, max: 2000 }).map(deep), weight: 1 },
);

/** Field names a frame may have (top level, and `envelope.*`), for mutations to aim at. */
const FIELDS = ['type', 'rid', 'chatId', 'clientMsgId', 'envelope', 'epoch', 'afterSeq', 'beforeSeq', 'limit', 'kind', 'upToSeq', 'v', 'token', 'envelope.contentType', 'envelope.payload'];

function withOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  // defineProperty, so "__proto__" becomes a field of the JSON rather than the object's prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

type Mutation =
  | { op: 'set'; field: string; value: unknown }
  | { op: 'delete'; field: string }
  | { op: 'extra'; field: string; value: unknown }
  | { op: 'type'; value: unknown }
  | { op: 'wrap'; how: 'array' | 'string' | 'nested' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...FIELDS), value: weird }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...FIELDS) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('extra' as const), field: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'seq', 'senderUserId', 'system'), value: weird }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('type' as const), value: fc.oneof(fc.constantFrom('SEND', 'send ', 'launch_missiles', '__proto__', 'constructor', 'hasOwnProperty', 'ack', 'message', 'error', ''), weird) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('wrap' as const), how: fc.constantFrom('array' as const, 'string' as const, 'nested' as const) }), weight: 1 },
);

function mutate(frame: ClientFrame, m: Mutation): unknown {
  const copy: Record<string, unknown> = { ...frame };
  // A field of the envelope when the frame has one, else a top-level field of that name.
  const at = (field: string): [Record<string, unknown>, string] => {
    const inner = field.startsWith('envelope.') ? field.slice(9) : undefined;
    if (inner === undefined) return [copy, field];
    if (!('envelope' in frame)) return [copy, inner];
    const env = { ...frame.envelope };
    copy['envelope'] = env;
    return [env, inner];
  };
  switch (m.op) {
    case 'set': {
      const [target, key] = at(m.field);
      withOwn(target, key, m.value);
      return copy;
    }
    case 'delete': {
      const [target, key] = at(m.field);
      delete target[key];
      return copy;
    }
    case 'extra': return withOwn(copy, m.field, m.value);
    case 'type': return withOwn(copy, 'type', m.value);
    case 'wrap': return m.how === 'array' ? [copy] : m.how === 'string' ? JSON.stringify(copy) : { type: frame.type, frame: copy };
  }
}

/** Bytes that are not UTF-8: a lone continuation byte, an overlong form, a cut multi-byte sequence, a surrogate. */
const notUtf8 = fc.tuple(fc.string({ maxLength: 30 }), fc.constantFrom([0x80], [0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]))
  .map(([s, bad]) => new Uint8Array([...Buffer.from(`{"type":"ping","rid":"${s}`), ...bad, ...Buffer.from('"}')]));

/** Raw garbage: not JSON, JSON that is no frame, binary frames, broken UTF-8, oversized and deeply nested frames. */
function garbage(ctx: FrameFuzzContext): fc.Arbitrary<FuzzFrame> {
  const over = (min: number, max: number) => fc.integer({ min, max }).map((n): FuzzFrame =>
    ({ kind: 'text', text: `{"type":"send","rid":"big","chatId":"${ctx.memberChatIds[0] ?? 'aaaaaaaa'}","clientMsgId":"bigbigbig","envelope":{"contentType":"parley/mls-app","payload":"${'A'.repeat(n)}"}}` }));
  return fc.oneof(
    { arbitrary: fc.string({ maxLength: 200 }).map((text): FuzzFrame => ({ kind: 'text', text })), weight: 40 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): FuzzFrame => ({ kind: 'json', value })), weight: 30 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): FuzzFrame => ({ kind: 'bytes', bytes, binary: true })), weight: 20 },
    { arbitrary: notUtf8.map((bytes): FuzzFrame => ({ kind: 'bytes', bytes, binary: false })), weight: 10 },
    { arbitrary: fc.constantFrom('{', '{"type":"ping","rid":', '{"type":"ping","type":"send","rid":"dup-key"}', '{"type":"ping","rid":"x"}  trailing', 'null', '[]', '""', '1e999', '{"__proto__":{"type":"ping"},"rid":"p"}')
      .map((text): FuzzFrame => ({ kind: 'text', text })), weight: 20 },
    { arbitrary: fc.integer({ min: 100, max: 50_000 }).map((n): FuzzFrame => ({ kind: 'text', text: `{"type":"history","rid":"deep","chatId":${'['.repeat(n)}${']'.repeat(n)}}` })), weight: 10 },
    { arbitrary: over(ctx.maxFrameBytes, ctx.maxFrameBytes * 4 - 300), weight: 10 },
    // Past four times the frame limit the WebSocket layer closes the connection (1009).
    { arbitrary: over(ctx.maxFrameBytes * 4, ctx.maxFrameBytes * 4 + 5000), weight: 1 },
  );
}

/**
 * Hostile frames as an authenticated member device sends them: valid frames of every type (so the
 * domain code runs and some are accepted), the same with one field mutated, and raw garbage.
 */
export function fuzzFrame(ctx: FrameFuzzContext): fc.Arbitrary<FuzzFrame> {
  const valid = fc.constantFrom(...CLIENT_FRAME_TYPES).chain((type) => validFrame(type, ctx));
  return fc.oneof(
    { arbitrary: valid.map((value): FuzzFrame => ({ kind: 'json', value })), weight: 3 },
    { arbitrary: fc.tuple(valid, mutation).map(([frame, m]): FuzzFrame => ({ kind: 'json', value: mutate(frame, m) })), weight: 5 },
    { arbitrary: garbage(ctx), weight: 2 },
  );
}

/** The frame as the WebSocket sends it. */
export function encodeFrame(frame: FuzzFrame): { data: string | Buffer; binary: boolean } {
  switch (frame.kind) {
    case 'json': return { data: JSON.stringify(frame.value) ?? 'null', binary: false };
    case 'text': return { data: frame.text, binary: false };
    case 'bytes': return { data: Buffer.from(frame.bytes), binary: frame.binary };
  }
}

/** What the server must answer to an encoded frame (R13): a close (WebSocket layer), an error it can tell at once, or the frame is valid. */
export type Expectation =
  | { close: 1007 | 1009 }
  | { error: 'invalid_frame' | 'unknown_type' | 'payload_too_large'; rid: string | undefined }
  | { valid: ClientFrame };

export function expectReply({ data, binary }: { data: string | Buffer; binary: boolean }, maxFrameBytes: number): Expectation {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > maxFrameBytes * 4) return { close: 1009 };
  if (binary) return { error: 'invalid_frame', rid: undefined };
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    text.decode(bytes);
  } catch {
    return { close: 1007 };
  }
  // Not parsed, but its rid (from the frame's first bytes) is answered, so the sender's request ends.
  if (bytes.length > maxFrameBytes) return { error: 'payload_too_large', rid: /"rid"\s*:\s*"([^"\\]{1,64})"/.exec(bytes.subarray(0, 256).toString('utf8'))?.[1] };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { error: 'invalid_frame', rid: undefined };
  }
  const parsed = ClientFrame.safeParse(json);
  if (parsed.success) return { valid: parsed.data };
  const r = typeof json === 'object' && json !== null ? (json as { rid?: unknown }).rid : undefined;
  const type = (json as { type?: unknown } | null)?.type;
  const known = CLIENT_FRAME_TYPES.some((t) => t === type);
  return { error: known ? 'invalid_frame' : 'unknown_type', rid: typeof r === 'string' && r.length > 0 ? r.slice(0, 64) : undefined };
}

/** The fuzz seed: `PARLEY_FUZZ_SEED` when set, else a fixed one, so a run reproduces. */
export function fuzzSeed(fallback = 20_260_101): number {
  const env = process.env['PARLEY_FUZZ_SEED'];
  if (env === undefined || env === '') return fallback;
  const seed = Number(env);
  if (!Number.isSafeInteger(seed)) throw new Error(`PARLEY_FUZZ_SEED must be an integer, got ${env}`);
  return seed;
}
