// Hostile REST requests for the fuzz test: for every route the server registers, a valid-shaped body
// with a field mutated (or no JSON at all), odd path parameters and query strings, wrong content
// types, odd Authorization headers and oversized bodies. A route with no entry in ROUTES has no
// generator, and the fuzz test fails until one is added.
import fc from 'fast-check';

export interface RestFuzzContext {
  /** The fuzzing device's session and identity. */
  token: string;
  userId: string;
  deviceId: string;
  handle: string;
  /** Other users, and their handles (lookups, members to add, claims). */
  userIds: readonly string[];
  handles: readonly string[];
  /** Chats the fuzzing user is in, and chats it is not in. */
  chatIds: readonly string[];
  otherChatIds: readonly string[];
  /** Ids the server handed out: link requests to the fuzzing account, invite tokens, passkey flow ids. */
  linkIds: readonly string[];
  inviteTokens: readonly string[];
  registerFlowId: string;
  loginFlowId: string;
  /** A passkey-add flow the fuzzing account started (R46). */
  addFlowId: string;
  /** Blobs (R53): the fuzzing account's uploads (finished and not) and others' that it may or may not read. */
  blobIds: readonly string[];
  maxBodyBytes: number;
  /** R95-R99: channels the fuzzing user owns and others' (ids and handles). */
  channelIds?: readonly string[];
  channelHandles?: readonly string[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface RouteFuzz {
  /** Per `:param`: odd values, real ids among them (already in the form they take in the path). */
  params?: Record<string, fc.Arbitrary<string>>;
  /** The body's valid shape; mutations are applied on top. */
  body?: fc.Arbitrary<unknown>;
  query?: fc.Arbitrary<string>;
  /** Extra request headers (tus's, R53). */
  headers?: fc.Arbitrary<Record<string, string>>;
}

const ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
const anId = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 8, maxLength: 64 });
const handle = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{2,31}$/), fc.string({ maxLength: 40 }));
const displayName = fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ maxLength: 80, unit: 'binary' }));
const pick = <T>(items: readonly T[], fallback: fc.Arbitrary<T>): fc.Arbitrary<T> => (items.length ? fc.constantFrom(...items) : fallback);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A path segment: mostly a real or plausible id, else something odd (encoded, raw, empty, huge, traversal). */
function segment(real: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: real, weight: 6 },
    { arbitrary: anId, weight: 2 },
    { arbitrary: fc.string({ maxLength: 40, unit: 'binary' }).map(encodeURIComponent), weight: 2 },
    { arbitrary: fc.constantFrom('', '.', '..', '%', '%zz', '%00', '%2F', '%2e%2e', 'a%2Fb', '%E0%A4%A', '%C0%AF', 'pending', 'me', 'null', 'undefined', '__proto__', 'constructor', '1', '-1', 'x'.repeat(3000)), weight: 3 },
  );
}

const newDevice = fc.record({ name: fc.string({ minLength: 1, maxLength: 64 }), publicKey: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64), fc.string()) });
const webauthn = fc.oneof(
  fc.record({ id: fc.oneof(anId, fc.string()), rawId: fc.string(), type: fc.constantFrom('public-key', 'x'), response: fc.dictionary(fc.constantFrom('clientDataJSON', 'attestationObject', 'authenticatorData', 'signature', 'userHandle', 'transports'), fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }).map(b64), fc.jsonValue({ maxDepth: 2 }))), clientExtensionResults: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
);

/** A signed blob's shape: JSON text or not, signatures of the right length or not (none verifies). */
const signedBlob = fc.record({
  signed: fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 300 })),
  signature: fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }).map(b64), fc.string({ maxLength: 100 })),
}, { requiredKeys: [] });
const channel = (ctx: RestFuzzContext) => segment(pick(ctx.channelIds ?? [], anId));

/** Every route of the server (method and Fastify url), with its generator. HEAD uses its GET's. */
const ROUTES: Record<string, (ctx: RestFuzzContext) => RouteFuzz> = {
  'GET /healthz': () => ({}),
  'GET /readyz': () => ({}),
  'GET /metrics': () => ({}),
  'GET /': () => ({}),
  'GET /api/v1/info': () => ({}),
  'POST /api/v1/accounts': () => ({ body: fc.record({ handle, displayName, device: newDevice }) }),
  'POST /api/v1/auth/challenge': (ctx) => ({ body: fc.record({ deviceId: fc.oneof(fc.constant(ctx.deviceId), anId) }) }),
  'POST /api/v1/auth/device': (ctx) => ({ body: fc.record({ deviceId: fc.oneof(fc.constant(ctx.deviceId), anId), challenge: fc.string({ minLength: 16, maxLength: 300 }), signature: fc.uint8Array({ maxLength: 80 }).map(b64) }) }),
  'POST /api/v1/recovery': (ctx) => ({ body: fc.record({ handle: fc.oneof(fc.constant(ctx.handle), pick(ctx.handles, fc.string())), recoveryCode: fc.string({ minLength: 8, maxLength: 64 }), device: newDevice }) }),
  'POST /api/v1/passkeys/register/options': () => ({ body: fc.record({ handle, displayName }) }),
  'POST /api/v1/passkeys/register/verify': (ctx) => ({ body: fc.record({ flowId: fc.oneof(fc.constant(ctx.registerFlowId), fc.constant(ctx.loginFlowId), fc.string({ minLength: 16 })), response: webauthn, device: newDevice }) }),
  'POST /api/v1/passkeys/login/options': () => ({ body: fc.jsonValue({ maxDepth: 2 }) }),
  'POST /api/v1/passkeys/login/verify': (ctx) => ({ body: fc.record({ flowId: fc.oneof(fc.constant(ctx.loginFlowId), fc.constant(ctx.registerFlowId), fc.string({ minLength: 16 })), response: webauthn, device: newDevice }) }),
  'POST /api/v1/passkeys/add/options': () => ({ body: fc.jsonValue({ maxDepth: 2 }) }),
  'POST /api/v1/passkeys/add/verify': (ctx) => ({ body: fc.record({ flowId: fc.oneof(fc.constant(ctx.addFlowId), fc.constant(ctx.registerFlowId), fc.string({ minLength: 16 })), response: webauthn }) }),
  'GET /api/v1/me': () => ({}),
  // Never its own device: revoking it would end the fuzzing session (other users' devices: device_not_found).
  'DELETE /api/v1/devices/:deviceId': (ctx) => ({ params: { deviceId: segment(pick(ctx.userIds, anId)) } }),
  'GET /api/v1/users/by-handle/:handle': (ctx) => ({ params: { handle: segment(pick([ctx.handle, ...ctx.handles], anId)) } }),
  'GET /api/v1/users/:userId': (ctx) => ({ params: { userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'GET /api/v1/push/vapid-public-key': () => ({}),
  // R45: any URL; the test server's resolver answers nothing local, so no fetch leaves the machine.
  'POST /api/v1/link-preview': () => ({ body: fc.record({ url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 3000 }), fc.constantFrom('http://127.0.0.1/', 'http://[::1]/', 'javascript:alert(1)')) }) }),
  // R60: members' chats, others', malformed ids and extra keys (the test server has no TURN: calls_unavailable).
  'POST /api/v1/calls/turn': (ctx) => ({ body: fc.oneof(fc.record({ chatId: chat(ctx) }), fc.record({ chatId: chat(ctx), extra: fc.string() }), fc.jsonValue({ maxDepth: 2 })) }),
  'POST /api/v1/calls/room': (ctx) => ({ body: fc.oneof(fc.record({ chatId: chat(ctx) }), fc.record({ chatId: chat(ctx), extra: fc.string() }), fc.jsonValue({ maxDepth: 2 })) }),
  // R118: ringing a direct chat's callee, and this device's ringing on/off (no body).
  'POST /api/v1/calls/ring': (ctx) => ({ body: fc.oneof(fc.record({ chatId: chat(ctx) }), fc.record({ chatId: chat(ctx), extra: fc.string() }), fc.jsonValue({ maxDepth: 2 })) }),
  'PUT /api/v1/push/call-ringing': () => ({ body: fc.jsonValue({ maxDepth: 2 }) }),
  'DELETE /api/v1/push/call-ringing': () => ({}),
  'POST /api/v1/push/subscriptions': () => ({ body: fc.record({ endpoint: fc.oneof(fc.webUrl(), fc.string()), keys: fc.record({ p256dh: fc.uint8Array({ maxLength: 65 }).map((b) => Buffer.from(b).toString('base64url')), auth: fc.string({ maxLength: 30 }) }) }) }),
  'POST /api/v1/devices/link': (ctx) => ({ body: fc.record({ handle: fc.oneof(fc.constant(ctx.handle), pick(ctx.handles, handle), handle), device: newDevice }) }),
  'GET /api/v1/devices/link/pending': () => ({}),
  'GET /api/v1/devices/link/:linkId': (ctx) => ({ params: { linkId: segment(pick(ctx.linkIds, anId)) } }),
  'POST /api/v1/devices/link/:linkId/approve': (ctx) => ({ params: { linkId: segment(pick(ctx.linkIds, anId)) }, body: fc.record({ code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.string({ maxLength: 40 })) }) }),
  'POST /api/v1/devices/link/:linkId/deny': (ctx) => ({ params: { linkId: segment(pick(ctx.linkIds, anId)) } }),
  'GET /api/v1/chats': () => ({}),
  'POST /api/v1/chats': (ctx) => ({ body: fc.record({ name: fc.string({ maxLength: 120 }), color: fc.oneof(fc.constantFrom('#a1b2c3', '#zzzzzz'), fc.string()), memberIds: fc.array(pick(ctx.userIds, anId), { maxLength: 5 }) }, { requiredKeys: ['name', 'memberIds'] }) }),
  'POST /api/v1/chats/direct': (ctx) => ({ body: fc.record({ userId: fc.oneof(pick(ctx.userIds, anId), fc.constant(ctx.userId), anId) }) }),
  'GET /api/v1/chats/:chatId': (ctx) => ({ params: { chatId: chat(ctx) } }),
  'GET /api/v1/chats/:chatId/devices': (ctx) => ({ params: { chatId: chat(ctx) } }),
  'GET /api/v1/chats/:chatId/mls/tree/:epoch': (ctx) => ({ params: { chatId: chat(ctx), epoch: segment(fc.oneof(fc.nat({ max: 5 }).map(String), fc.integer().map(String), fc.constant('1e400'), fc.string())) } }),
  'PUT /api/v1/chats/:chatId/prefs': (ctx) => ({ params: { chatId: chat(ctx) }, body: fc.record({ archived: fc.oneof(fc.boolean(), fc.string()), mutedUntil: fc.oneof(fc.nat(), fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER)), markedUnread: fc.boolean() }, { requiredKeys: [] }) }),
  'POST /api/v1/chats/:chatId/rejoin': (ctx) => ({ params: { chatId: chat(ctx) } }),
  'PATCH /api/v1/chats/:chatId': (ctx) => ({ params: { chatId: chat(ctx) }, body: fc.record({ name: fc.string({ maxLength: 120 }), color: fc.oneof(fc.constant('#123456'), fc.string()) }, { requiredKeys: [] }) }),
  'POST /api/v1/chats/:chatId/members': (ctx) => ({ params: { chatId: chat(ctx) }, body: fc.record({ userId: fc.oneof(pick(ctx.userIds, anId), fc.constant(ctx.userId)) }) }),
  'DELETE /api/v1/chats/:chatId/members/:userId': (ctx) => ({ params: { chatId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'PUT /api/v1/chats/:chatId/members/:userId/role': (ctx) => ({ params: { chatId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) }, body: fc.record({ role: fc.constantFrom('admin', 'member', 'owner', 'root', '') }) }),
  'POST /api/v1/chats/:chatId/invites': (ctx) => ({ params: { chatId: chat(ctx) }, body: fc.record({ expiresInMs: fc.oneof(fc.integer(), fc.double(), fc.constant(60_000)), maxUses: fc.oneof(fc.integer(), fc.constant(5)) }, { requiredKeys: [] }) }),
  'GET /api/v1/requests': () => ({}),
  'POST /api/v1/requests/:requestId/accept': () => ({ params: { requestId: segment(anId) } }),
  'POST /api/v1/requests/:requestId/decline': () => ({ params: { requestId: segment(anId) } }),
  'POST /api/v1/requests/:requestId/block': () => ({ params: { requestId: segment(anId) } }),
  'POST /api/v1/requests/:requestId/report': () => ({ params: { requestId: segment(anId) }, body: fc.record({ reason: fc.constantFrom('spam', 'scam', 'abuse', 'other', 'nope', ''), note: fc.string({ maxLength: 600 }), block: fc.boolean() }, { requiredKeys: [] }) }),
  'GET /api/v1/chats/:chatId/invites': (ctx) => ({ params: { chatId: chat(ctx) } }),
  'DELETE /api/v1/chats/:chatId/invites/:token': (ctx) => ({ params: { chatId: chat(ctx), token: segment(pick(ctx.inviteTokens, anId)) } }),
  'GET /api/v1/invites/:token': (ctx) => ({ params: { token: segment(pick(ctx.inviteTokens, anId)) } }),
  'POST /api/v1/invites/:token/join': (ctx) => ({ params: { token: segment(pick(ctx.inviteTokens, anId)) } }),
  // R95-R99: channels (the fuzzing user's own and others'), odd ids, signed blobs that never verify.
  'POST /api/v1/channels': () => ({ body: fc.record({ handle: fc.oneof(handle, fc.constantFrom('support', 'supp0rt', 'pаrley', 'новости')), title: fc.string({ maxLength: 200 }), description: fc.string({ maxLength: 1200 }), keyList: signedBlob }, { requiredKeys: ['handle', 'title'] }) }),
  'GET /api/v1/channels': () => ({}),
  // R200: the caller's pending admin invitations (no input but odd query strings).
  'GET /api/v1/channels/admin-invites': () => ({ query: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })) }),
  // R111: search: prefixes, wildcards, odd and long queries, odd offsets.
  'GET /api/v1/channels/search': (ctx) => ({
    query: fc.oneof(
      fc.tuple(fc.oneof(pick(ctx.channelHandles ?? [], handle), fc.constantFrom('%', '_', '\\', '@', 'a%_'), fc.string({ maxLength: 80 })), fc.oneof(fc.constant(''), fc.constantFrom('-1', '1001', 'abc', '0', '2'))).map(([q, o]) => `q=${encodeURIComponent(q)}${o ? `&offset=${o}` : ''}`),
      fc.constantFrom('', 'q=', 'offset=1'), fc.string({ maxLength: 30 }),
    ),
  }),
  'GET /api/v1/channels/by-handle/:handle': (ctx) => ({ params: { handle: segment(pick(ctx.channelHandles ?? [], handle)) } }),
  'GET /api/v1/channels/:channelId': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'GET /api/v1/channels/:channelId/admins': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'PUT /api/v1/channels/:channelId/admins/:userId': (ctx) => ({ params: { channelId: channel(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'DELETE /api/v1/channels/:channelId/admins/:userId': (ctx) => ({ params: { channelId: channel(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'PUT /api/v1/channels/:channelId/admin-key': (ctx) => ({ params: { channelId: channel(ctx) }, body: fc.record({ key: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64), fc.string()) }) }),
  'PUT /api/v1/channels/:channelId/key-list': (ctx) => ({ params: { channelId: channel(ctx) }, body: signedBlob }),
  'PUT /api/v1/channels/:channelId/head': (ctx) => ({ params: { channelId: channel(ctx) }, body: signedBlob }),
  'PUT /api/v1/channels/:channelId/posts/:postId': (ctx) => ({ params: { channelId: channel(ctx), postId: segment(anId) }, body: signedBlob }),
  'GET /api/v1/channels/:channelId/log': (ctx) => ({ params: { channelId: channel(ctx) }, query: fc.oneof(fc.nat().map((n) => `afterSeq=${n}`), fc.constantFrom('afterSeq=-1', 'afterSeq=1e400', 'limit=0', 'limit=abc', 'limit=100000'), fc.string()) }),
  'GET /api/v1/channels/:channelId/posts': (ctx) => ({ params: { channelId: channel(ctx) }, query: fc.oneof(fc.nat().map((n) => `beforePostSeq=${n}&limit=5`), fc.constantFrom('beforePostSeq=0', 'limit=-3', 'limit=x'), fc.string()) }),
  'PUT /api/v1/channels/:channelId/subscription': (ctx) => ({ params: { channelId: channel(ctx) }, body: fc.record({ muted: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }) }),
  'DELETE /api/v1/channels/:channelId/subscription': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'POST /api/v1/channels/:channelId/read': (ctx) => ({ params: { channelId: channel(ctx) }, body: fc.record({ upToSeq: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2)) }) }),
  'PUT /api/v1/channels/:channelId/posts/:postId/reaction': (ctx) => ({ params: { channelId: channel(ctx), postId: segment(anId) }, body: fc.record({ emoji: fc.oneof(fc.constantFrom('👍', '🔥', '<b>', 'abc', '👍'.repeat(20)), fc.string({ maxLength: 40 })) }) }),
  'DELETE /api/v1/channels/:channelId/posts/:postId/reaction': (ctx) => ({ params: { channelId: channel(ctx), postId: segment(anId) } }),
  'GET /api/v1/channels/:channelId/counts': (ctx) => ({ params: { channelId: channel(ctx) }, query: fc.oneof(fc.array(anId, { minLength: 1, maxLength: 120 }).map((ids) => `postIds=${ids.join(',')}`), fc.constantFrom('postIds=', 'postIds=%2C%2C', ''), fc.string()) }),
  // R198: votes on public polls by option index (out of range, repeated, too many, not numbers) and their counts.
  'PUT /api/v1/channels/:channelId/posts/:seq/vote': (ctx) => ({
    params: { channelId: channel(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) },
    body: fc.record({ options: fc.oneof(fc.constant([0]), fc.constant([0, 0]), fc.array(fc.integer({ min: -2, max: 14 }), { maxLength: 14 }), fc.constant([0.5]), fc.string()) }, { requiredKeys: [] }),
  }),
  'DELETE /api/v1/channels/:channelId/posts/:seq/vote': (ctx) => ({ params: { channelId: channel(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) } }),
  'GET /api/v1/channels/:channelId/votes': (ctx) => ({
    params: { channelId: channel(ctx) },
    query: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }).map((a) => `seqs=${a.join(',')}`), fc.constantFrom('seqs=', 'seqs=0', 'seqs=1,,2', 'seqs=1e400', 'seqs=-1'), fc.string()),
  }),
  'POST /api/v1/channels/:channelId/views': (ctx) => ({ params: { channelId: channel(ctx) }, body: fc.record({ postIds: fc.array(fc.oneof(anId, fc.string()), { maxLength: 120 }) }) }),
  // R115: scheduled posts (signed bodies of any shape, ids real and made up); R114: discussion links and joins.
  'GET /api/v1/channels/:channelId/scheduled': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'PUT /api/v1/channels/:channelId/scheduled/:postId': (ctx) => ({ params: { channelId: channel(ctx), postId: segment(anId) }, body: signedBlob }),
  'DELETE /api/v1/channels/:channelId/scheduled/:postId': (ctx) => ({ params: { channelId: channel(ctx), postId: segment(anId) } }),
  'GET /api/v1/channels/:channelId/discussion': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'PUT /api/v1/channels/:channelId/discussion': (ctx) => ({ params: { channelId: channel(ctx) }, body: fc.record({ chatId: fc.oneof(chat(ctx), fc.string()) }) }),
  'DELETE /api/v1/channels/:channelId/discussion': (ctx) => ({ params: { channelId: channel(ctx) } }),
  'POST /api/v1/channels/:channelId/discussion/join': (ctx) => ({ params: { channelId: channel(ctx) } }),
  // R141-R142: wrapped channels' epochs, wraps and posts (community ids real to no one here, or chats as odd ids).
  'GET /api/v1/communities/:communityId/epochs/current': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/epochs': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ epoch: fc.oneof(fc.integer(), fc.constant(1), fc.string()) }, { requiredKeys: [] }) }),
  'GET /api/v1/communities/:communityId/epochs/:epoch/unwrapped': (ctx) => ({
    params: { communityId: chat(ctx), epoch: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) }, query: fc.oneof(anId.map((a) => `after=${a}`), fc.constantFrom('after=', 'after=%00'), fc.string()),
  }),
  'PUT /api/v1/communities/:communityId/epochs/:epoch/wraps': (ctx) => ({
    params: { communityId: chat(ctx), epoch: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) },
    body: fc.record({ wraps: fc.array(fc.record({ userId: pick([ctx.userId, ...ctx.userIds], anId), deviceId: pick([ctx.deviceId, ...ctx.userIds], anId), wrapped: fc.oneof(fc.uint8Array({ minLength: 76, maxLength: 76 }).map(b64), fc.string()) }), { maxLength: 4 }) }),
  }),
  'GET /api/v1/communities/:communityId/wraps': (ctx) => ({ params: { communityId: chat(ctx) }, query: fc.oneof(fc.nat().map((n) => `after=${n}`), fc.constantFrom('after=-1', 'after=1e400', 'after=x'), fc.string()) }),
  // R161-R162: an info-alone mark and the blobs a post names.
  'POST /api/v1/communities/:communityId/wrapped-posts': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({
    epoch: fc.oneof(fc.constant(1), fc.integer()), body: fc.oneof(fc.uint8Array({ minLength: 30, maxLength: 300 }).map(b64), fc.string()),
    info: fc.oneof(fc.constant(true), fc.boolean(), fc.string()), blobs: fc.oneof(fc.array(fc.string(), { maxLength: 12 }), fc.constant(['A'.repeat(22), 'A'.repeat(22)]), fc.string()),
    // R167-R168: an edit's target and the files it keeps.
    edits: fc.oneof(fc.constant(1), fc.integer(), fc.string()), keptFiles: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.string()),
    pins: fc.oneof(fc.constant(1), fc.integer(), fc.string()), // R184: a pin's target
  }, { requiredKeys: [] }) }),
  // R166-R167: reactions as tokens, their counts, an admin's deletion (odd seqs, tokens that are emoji or too long).
  'PUT /api/v1/communities/:communityId/wrapped-posts/:seq/reaction': (ctx) => ({
    params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) },
    body: fc.record({ token: fc.oneof(fc.constant('a'.repeat(32)), fc.constant('👍'), fc.stringMatching(/^[0-9a-f]{31,33}$/), fc.string()) }, { requiredKeys: [] }),
  }),
  'DELETE /api/v1/communities/:communityId/wrapped-posts/:seq/reaction': (ctx) => ({ params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) } }),
  'GET /api/v1/communities/:communityId/wrapped-posts/counts': (ctx) => ({
    params: { communityId: chat(ctx) },
    query: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }).map((a) => `seqs=${a.join(',')}`), fc.constantFrom('seqs=', 'seqs=0', 'seqs=1,,2', 'seqs=1e400', 'seqs=-1'), fc.string()),
  }),
  'DELETE /api/v1/communities/:communityId/wrapped-posts/:seq': (ctx) => ({ params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) } }),
  'GET /api/v1/communities/:communityId/wrapped-posts/latest': (ctx) => ({ params: { communityId: chat(ctx) } }),
  // R177: comment marks in the path (hex of the wrong length, emoji, odd seqs) and their counts.
  'PUT /api/v1/communities/:communityId/wrapped-posts/:seq/comments/:mark': (ctx) => ({
    params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()), mark: fc.oneof(fc.constant('a'.repeat(32)), fc.constant('💬'), fc.stringMatching(/^[0-9a-f]{31,33}$/), fc.string()) },
  }),
  'DELETE /api/v1/communities/:communityId/wrapped-posts/:seq/comments/:mark': (ctx) => ({
    params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()), mark: fc.oneof(fc.constant('b'.repeat(32)), fc.stringMatching(/^[0-9a-f]{31,33}$/), fc.string()) },
  }),
  'GET /api/v1/communities/:communityId/wrapped-posts/comment-counts': (ctx) => ({
    params: { communityId: chat(ctx) },
    query: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }).map((a) => `seqs=${a.join(',')}`), fc.constantFrom('seqs=', 'seqs=0', 'seqs=1,,2', 'seqs=1e400', 'seqs=-1'), fc.string()),
  }),
  // R183: view reports: seqs of every shape (none, too many, zero, huge, strings).
  'POST /api/v1/communities/:communityId/wrapped-posts/views': (ctx) => ({
    params: { communityId: chat(ctx) },
    body: fc.record({ seqs: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }), fc.array(fc.oneof(fc.integer(), fc.double(), fc.string()), { maxLength: 5 }), fc.string()) }, { requiredKeys: [] }),
  }),
  // R190: a private channel's (MLS mode) view reports and counts: seqs of every shape.
  'POST /api/v1/communities/:communityId/channel-views': (ctx) => ({
    params: { communityId: chat(ctx) },
    body: fc.record({ seqs: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }), fc.array(fc.oneof(fc.integer(), fc.double(), fc.string()), { maxLength: 5 }), fc.string()) }, { requiredKeys: [] }),
  }),
  'GET /api/v1/communities/:communityId/channel-views': (ctx) => ({
    params: { communityId: chat(ctx) },
    query: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }).map((a) => `seqs=${a.join(',')}`), fc.constantFrom('seqs=', 'seqs=0', 'seqs=1,,2', 'seqs=1e400', 'seqs=-1'), fc.string()),
  }),
  // R185: poll votes as token sets (empty, repeated, too many, emoji, odd hex) and their counts.
  'PUT /api/v1/communities/:communityId/wrapped-posts/:seq/vote': (ctx) => ({
    params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) },
    body: fc.record({
      tokens: fc.oneof(fc.constant(['a'.repeat(32)]), fc.constant(['a'.repeat(32), 'a'.repeat(32)]), fc.array(fc.stringMatching(/^[0-9a-f]{31,33}$/), { maxLength: 14 }), fc.constant(['🗳️']), fc.string()),
    }, { requiredKeys: [] }),
  }),
  'DELETE /api/v1/communities/:communityId/wrapped-posts/:seq/vote': (ctx) => ({ params: { communityId: chat(ctx), seq: fc.oneof(fc.constant('1'), fc.integer().map(String), fc.string()) } }),
  'GET /api/v1/communities/:communityId/wrapped-posts/votes': (ctx) => ({
    params: { communityId: chat(ctx) },
    query: fc.oneof(fc.array(fc.nat(), { maxLength: 120 }).map((a) => `seqs=${a.join(',')}`), fc.constantFrom('seqs=', 'seqs=0', 'seqs=1,,2', 'seqs=1e400', 'seqs=-1'), fc.string()),
  }),
  // R182: wrapped channels' read positions and mute (odd seqs, non-boolean mutes).
  'GET /api/v1/communities/wrapped-reads': () => ({}),
  'GET /api/v1/communities/:communityId/wrapped-read': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/wrapped-read': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ upToSeq: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2), fc.string()) }) }),
  'PUT /api/v1/communities/:communityId/wrapped-mute': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ muted: fc.oneof(fc.boolean(), fc.string(), fc.integer()) }, { requiredKeys: [] }) }),
  'GET /api/v1/communities/:communityId/wrapped-posts': (ctx) => ({ params: { communityId: chat(ctx) }, query: fc.oneof(fc.nat().map((n) => `after=${n}`), fc.constantFrom('after=-1', 'after=1e400', 'after=x'), fc.string()) }),
  // R188, R192: scheduled wrapped posts (times past, far, huge, odd; ids real and made up; files).
  'PUT /api/v1/communities/:communityId/wrapped-scheduled/:scheduleId': (ctx) => ({
    params: { communityId: chat(ctx), scheduleId: segment(anId) },
    body: fc.record({
      epoch: fc.oneof(fc.constant(1), fc.integer()), body: fc.oneof(fc.uint8Array({ minLength: 30, maxLength: 300 }).map(b64), fc.string()),
      publishAt: fc.oneof(fc.constant(Date.now() + 3_600_000), fc.integer(), fc.double(), fc.constant(1e400), fc.string()),
      // R192: files it holds (made up, named twice, too many, not a list).
      blobs: fc.oneof(fc.array(fc.string(), { maxLength: 12 }), fc.constant(['A'.repeat(22), 'A'.repeat(22)]), fc.array(fc.constant('B'.repeat(22)), { minLength: 1, maxLength: 11 }), fc.string()),
    }, { requiredKeys: [] }),
  }),
  'GET /api/v1/communities/:communityId/wrapped-scheduled': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'DELETE /api/v1/communities/:communityId/wrapped-scheduled/:scheduleId': (ctx) => ({ params: { communityId: chat(ctx), scheduleId: segment(anId) } }),
  // R191: scheduled posts of MLS-mode channels (epochs real and odd, times past, far, huge, odd; ids real and made up).
  'PUT /api/v1/communities/:communityId/channel-scheduled/:scheduleId': (ctx) => ({
    params: { communityId: chat(ctx), scheduleId: segment(anId) },
    body: fc.record({
      epoch: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer()), body: fc.oneof(fc.uint8Array({ minLength: 30, maxLength: 300 }).map(b64), fc.string()),
      publishAt: fc.oneof(fc.constant(Date.now() + 3_600_000), fc.integer(), fc.double(), fc.constant(1e400), fc.string()),
    }, { requiredKeys: [] }),
  }),
  'GET /api/v1/communities/:communityId/channel-scheduled': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'DELETE /api/v1/communities/:communityId/channel-scheduled/:scheduleId': (ctx) => ({ params: { communityId: chat(ctx), scheduleId: segment(anId) } }),
  'GET /api/v1/communities/:communityId/discussion': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'PUT /api/v1/communities/:communityId/discussion': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ chatId: fc.oneof(chat(ctx), fc.string()) }) }),
  'DELETE /api/v1/communities/:communityId/discussion': (ctx) => ({ params: { communityId: chat(ctx) } }),
  // R99: public pages and feeds (no account): real, unknown, reserved, look-alike and odd handles, and queries they don't take.
  'GET /c/:handle': (ctx) => ({ params: { handle: segment(pick([...(ctx.channelHandles ?? []), 'support', 'p%D0%B0rley'], handle)) }, query: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })) }),
  // R110: public media: real handles with made-up, malformed and odd blob ids, and queries it doesn't take.
  'GET /c/:handle/media/:blobId': (ctx) => ({
    params: { handle: segment(pick([...(ctx.channelHandles ?? []), 'support', 'p%D0%B0rley'], handle)), blobId: segment(fc.oneof(fc.constantFrom('AAAAAAAAAAAAAAAAAAAAAA', '..', '%00'), fc.string({ maxLength: 40 }))) },
    query: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })),
  }),
  'GET /c/:handle/feed.atom': (ctx) => ({ params: { handle: segment(pick([...(ctx.channelHandles ?? []), 'support', 'p%D0%B0rley'], handle)) }, query: fc.oneof(fc.constant(''), fc.constantFrom('limit=abc', 'format=rss'), fc.string({ maxLength: 30 })) }),
  // R66-R75: communities the fuzzing user knows of are unknown ids here (not_found), plus its chats as odd community ids.
  // R90-R90c: bots; a bot id of the fuzzing user's is unknown here (bot_not_found), tokens are made up.
  'POST /api/v1/bots': () => ({ body: fc.record({ handle: fc.oneof(handle.map((h) => `${h.slice(0, 28)}bot`), handle), displayName, description: fc.string({ maxLength: 600 }) }, { requiredKeys: ['handle', 'displayName'] }) }),
  'GET /api/v1/bots': () => ({}),
  'POST /api/v1/bots/:botId/token': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'DELETE /api/v1/bots/:botId/token': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'DELETE /api/v1/bots/:botId': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  // R108: command menus; the fuzzing user owns no bot (bot_not_found), commands are odd on purpose.
  'PUT /api/v1/bots/:botId/commands': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) },
    body: fc.record({ commands: fc.array(fc.record({ command: fc.oneof(fc.constantFrom('start', 'help', 'Bad-One', ''), fc.string({ maxLength: 40 })), description: fc.string({ maxLength: 300 }) }, { requiredKeys: [] }), { maxLength: 120 }) }, { requiredKeys: [] }) }),
  'GET /api/v1/bots/:botId/commands': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  // R105: privacy mode (the owner) and a bot's own settings (the fuzzing user is no bot: forbidden).
  'PUT /api/v1/bots/:botId/privacy': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) }, body: fc.oneof(fc.record({ groupPrivacy: fc.boolean() }), fc.jsonValue({ maxDepth: 2 })) }),
  // R143: an avatar names an upload and an image type; the fuzzing user owns no bot (bot_not_found).
  'PUT /api/v1/bots/:botId/avatar': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) },
    body: fc.oneof(fc.record({ blobId: pick(ctx.blobIds, fc.string({ maxLength: 30 })), mime: fc.oneof(fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'image/gif', 'text/html', 'image/svg+xml'), fc.string({ maxLength: 40 })) }), fc.jsonValue({ maxDepth: 2 })) }),
  'DELETE /api/v1/bots/:botId/avatar': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'GET /api/v1/bots/:botId/avatar': (ctx) => ({ params: { botId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'GET /api/v1/bots/self': () => ({}),
  'POST /api/v1/bots/device': (ctx) => ({ body: fc.record({ token: fc.oneof(fc.tuple(pick([ctx.userId, ...ctx.userIds], anId), anId).map(([a, b]) => `${a}:${b}${b}`), fc.string({ maxLength: 200 })), device: newDevice }) }),
  'POST /api/v1/communities': () => ({ body: fc.record({ name: fc.string({ maxLength: 120 }), settings: fc.record({ roleLabels: fc.constantFrom('none', 'school', 'x'), studentsMayDm: fc.oneof(fc.boolean(), fc.string()), channel: fc.oneof(fc.boolean(), fc.string()), wrapped: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }) }, { requiredKeys: ['name'] }) }),
  'GET /api/v1/communities': () => ({}),
  'GET /api/v1/communities/:communityId': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'PATCH /api/v1/communities/:communityId': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ name: fc.string({ maxLength: 120 }), settings: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }) }),
  'POST /api/v1/communities/:communityId/owner': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ userId: pick([ctx.userId, ...ctx.userIds], anId), formerOwnerBecomes: fc.constantFrom('admin', 'member', 'owner', '') }) }),
  'POST /api/v1/communities/:communityId/leave': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'GET /api/v1/communities/:communityId/members': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'PUT /api/v1/communities/:communityId/members/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) }, body: fc.record({ role: fc.constantFrom('admin', 'member', 'owner'), rights: fc.array(fc.constantFrom('postAnnouncements', 'ban', 'invite', 'root'), { maxLength: 8 }), label: fc.constantFrom('teacher', 'student', null, 'x') }, { requiredKeys: [] }) }),
  'DELETE /api/v1/communities/:communityId/members/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'PUT /api/v1/communities/:communityId/bans/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'DELETE /api/v1/communities/:communityId/bans/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'GET /api/v1/communities/:communityId/chats': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/chats': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ name: fc.string({ maxLength: 120 }), open: fc.oneof(fc.boolean(), fc.string()) }) }),
  'PATCH /api/v1/communities/:communityId/chats/:chatId': (ctx) => ({ params: { communityId: chat(ctx), chatId: chat(ctx) }, body: fc.record({ name: fc.string({ maxLength: 120 }), open: fc.boolean(), slowModeMs: fc.oneof(fc.integer(), fc.constant(10_000), fc.string()) }, { requiredKeys: [] }) }),
  // R82, R84: mutes and reports.
  'GET /api/v1/communities/:communityId/mutes': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'PUT /api/v1/communities/:communityId/mutes/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) }, body: fc.record({ untilMs: fc.oneof(fc.integer(), fc.constant(Date.now() + 60_000), fc.string()) }, { requiredKeys: [] }) }),
  'DELETE /api/v1/communities/:communityId/mutes/:userId': (ctx) => ({ params: { communityId: chat(ctx), userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) } }),
  'POST /api/v1/communities/:communityId/reports': (ctx) => ({
    params: { communityId: chat(ctx) },
    body: fc.record({
      chatId: chat(ctx), seq: fc.oneof(fc.integer(), fc.constant(1)), clientMsgId: anId, text: fc.string({ maxLength: 200 }),
      frankingKey: fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), fc.string()), reason: fc.string({ maxLength: 600 }),
    }, { requiredKeys: [] }),
  }),
  'GET /api/v1/communities/:communityId/reports': (ctx) => ({
    params: { communityId: chat(ctx) },
    query: fc.oneof(fc.constant(''), fc.constantFrom('open', 'resolved', 'all', 'closed', '').map((v) => `state=${v}`), fc.string({ maxLength: 20 }).map((v) => `state=${encodeURIComponent(v)}`)),
  }),
  'POST /api/v1/communities/:communityId/reports/:reportId/resolve': (ctx) => ({
    params: { communityId: chat(ctx), reportId: segment(anId) },
    body: fc.record({ outcome: fc.oneof(fc.constantFrom('acted', 'dismissed', 'banned'), fc.integer()) }, { requiredKeys: [] }),
  }),
  'DELETE /api/v1/communities/:communityId/chats/:chatId': (ctx) => ({ params: { communityId: chat(ctx), chatId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/chats/:chatId/join': (ctx) => ({ params: { communityId: chat(ctx), chatId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/chats/:chatId/members': (ctx) => ({ params: { communityId: chat(ctx), chatId: chat(ctx) }, body: fc.record({ userId: pick([ctx.userId, ...ctx.userIds], anId) }) }),
  'POST /api/v1/communities/:communityId/invites': (ctx) => ({ params: { communityId: chat(ctx) }, body: fc.record({ expiresInMs: fc.oneof(fc.integer(), fc.constant(60_000)), maxUses: fc.oneof(fc.integer(), fc.constant(5)), needsApproval: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }) }),
  'GET /api/v1/community-invites/:token': (ctx) => ({ params: { token: segment(pick(ctx.inviteTokens, anId)) } }),
  'POST /api/v1/community-invites/:token/join': (ctx) => ({ params: { token: segment(pick(ctx.inviteTokens, anId)) } }),
  // R100-R101: join requests (the fuzzing user's invite tokens are chat invites: invite_invalid here), odd ids elsewhere.
  'POST /api/v1/community-invites/:token/requests': (ctx) => ({ params: { token: segment(pick(ctx.inviteTokens, anId)) }, body: fc.record({ note: fc.oneof(fc.string({ maxLength: 1200 }), fc.integer()) }, { requiredKeys: [] }) }),
  'GET /api/v1/community-join-requests': () => ({}),
  'DELETE /api/v1/community-join-requests/:requestId': () => ({ params: { requestId: segment(anId) } }),
  'GET /api/v1/communities/:communityId/join-requests': (ctx) => ({ params: { communityId: chat(ctx) } }),
  'POST /api/v1/communities/:communityId/join-requests/:requestId/approve': (ctx) => ({ params: { communityId: chat(ctx), requestId: segment(anId) } }),
  'POST /api/v1/communities/:communityId/join-requests/:requestId/decline': (ctx) => ({ params: { communityId: chat(ctx), requestId: segment(anId) } }),
  'POST /api/v1/keypackages': () => ({ body: fc.record({ keyPackages: fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }).map(b64), { maxLength: 120 }), lastResort: fc.uint8Array({ maxLength: 200 }).map(b64), replaceOneTime: fc.boolean() }, { requiredKeys: ['keyPackages'] }) }),
  'GET /api/v1/keypackages/count': () => ({}),
  'POST /api/v1/keypackages/claim': (ctx) => ({ body: fc.record({ userIds: fc.array(fc.oneof(pick(ctx.userIds, anId), fc.constant(ctx.userId)), { maxLength: 110 }) }) }),
  'POST /api/v1/key-log': () => ({ body: fc.record({ mlsSignatureKey: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }).map(b64) }) }),
  'GET /api/v1/users/:userId/key-log': (ctx) => ({
    params: { userId: segment(pick([ctx.userId, ...ctx.userIds], anId)) },
    query: fc.record({ after: fc.oneof(fc.nat(), fc.string(), fc.constant('-1'), fc.constant('1e400')), limit: fc.oneof(fc.nat({ max: 300 }), fc.string(), fc.constant('0')) }, { requiredKeys: [] })
      .map((q) => new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString()),
  }),
  // R53-R56: tus under /blobs (bodies: fuzzed bytes of any content type), downloads, storage usage.
  'OPTIONS /api/v1/blobs': () => ({ headers: tusHeaders }),
  'POST /api/v1/blobs': () => ({ headers: tusHeaders }),
  'PATCH /api/v1/blobs/:blobId': (ctx) => ({ params: { blobId: blob(ctx) }, headers: tusHeaders.map((h) => ({ 'content-type-override': 'application/offset+octet-stream', ...h })) }),
  'DELETE /api/v1/blobs/:blobId': (ctx) => ({ params: { blobId: blob(ctx) }, headers: tusHeaders }),
  'GET /api/v1/blobs/:blobId': (ctx) => ({ params: { blobId: blob(ctx) }, headers: tusHeaders }),
  'GET /api/v1/me/storage': () => ({}),
};

/** tus 1.0.0 request headers (R53), mostly well-formed, often wrong. */
const tusHeaders: fc.Arbitrary<Record<string, string>> = fc.record({
  'tus-resumable': fc.oneof({ arbitrary: fc.constant('1.0.0'), weight: 8 }, { arbitrary: fc.constantFrom('0.2.2', '', '1.0.0, 1.0.0'), weight: 1 }),
  'upload-length': fc.oneof(fc.nat({ max: 1_000_000 }).map(String), fc.constantFrom('0', '-1', '1e3', '99999999999999999999', 'x', ' 5', '4295229440')),
  'upload-offset': fc.oneof(fc.nat({ max: 2000 }).map(String), fc.constantFrom('-1', 'abc', '1.5', '')),
  'upload-defer-length': fc.constantFrom('1', '0', 'yes'),
  'upload-metadata': fc.oneof(fc.constant('filename c2VjcmV0LnBkZg=='), fc.string({ maxLength: 80 })),
  'upload-checksum': fc.oneof(fc.constant('sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk='), fc.constantFrom('sha256 x', 'md5 AAAA', 'sha1', ''), fc.string({ maxLength: 60 })),
  'upload-concat': fc.constantFrom('partial', 'final;/a /b'),
  range: fc.oneof(fc.constantFrom('bytes=0-0', 'bytes=0-', 'bytes=-10', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=999999999-', 'items=1-2'), fc.string({ maxLength: 30 })),
}, { requiredKeys: [] }).map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '')])));

function blob(ctx: RestFuzzContext): fc.Arbitrary<string> {
  return segment(pick(ctx.blobIds, fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'))));
}

function chat(ctx: RestFuzzContext): fc.Arbitrary<string> {
  return segment(fc.oneof({ arbitrary: pick(ctx.chatIds, anId), weight: 3 }, { arbitrary: pick(ctx.otherChatIds, anId), weight: 2 }));
}

/** The route key a server route is fuzzed under (`HEAD` like its `GET`). */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

export function hasRestGenerator(method: string, url: string): boolean {
  return Object.hasOwn(ROUTES, routeKey(method, url));
}

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, 2 ** 64, '', '\u0000', '\ud800', '__proto__', [], {}, [[[[[]]]]]),
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }),
);

/** The body after one mutation: a field set to a wrong value, removed, an extra one, or the whole body replaced. */
const bodyMutation = fc.oneof(
  { arbitrary: fc.constant((b: unknown) => b), weight: 3 },
  { arbitrary: fc.tuple(fc.nat(), weird).map(([i, v]) => (b: unknown) => setSome(b, i, v)), weight: 4 },
  { arbitrary: fc.nat().map((i) => (b: unknown) => setSome(b, i, undefined)), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'userId', 'role', 'extra'), weird).map(([k, v]) => (b: unknown) => (isObject(b) ? Object.defineProperty({ ...b }, k, { value: v, enumerable: true }) : b)), weight: 2 },
  { arbitrary: weird.map((v) => () => v), weight: 1 },
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function setSome(body: unknown, i: number, value: unknown): unknown {
  if (!isObject(body)) return body;
  const keys = Object.keys(body);
  if (!keys.length) return body;
  const key = keys[i % keys.length]!;
  const copy = { ...body };
  const inner = copy[key];
  if (isObject(inner) && i % 3 === 0) copy[key] = setSome(inner, Math.floor(i / 3), value);
  else if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', 'application/octet-stream', 'application/JSON', ''];

/** One hostile request to a route. */
export function fuzzRequest(method: string, url: string, ctx: RestFuzzContext): fc.Arbitrary<FuzzRequest> {
  const spec = ROUTES[routeKey(method, url)]?.(ctx);
  if (!spec) throw new Error(`no fuzz generator for the route ${method} ${url}: add one to packages/testing/src/fuzz-rest.ts`);
  const names = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = fc.tuple(...names.map((n) => spec.params?.[n] ?? segment(anId)));
  const auth = fc.oneof(
    { arbitrary: fc.constant(`Bearer ${ctx.token}`), weight: 12 },
    { arbitrary: fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', `bearer ${ctx.token}`, `Bearer ${ctx.token}x`, `Basic ${ctx.token}`, `Bearer  ${ctx.token} `), weight: 2 },
    { arbitrary: fc.string({ maxLength: 300 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`), weight: 1 },
  );
  const body = fc.oneof(
    { arbitrary: fc.tuple(spec.body ?? fc.jsonValue({ maxDepth: 2 }), bodyMutation).map(([b, m]): { text: string | Uint8Array | undefined; type: string } => ({ text: JSON.stringify(m(b)) ?? 'null', type: 'application/json' })), weight: 12 },
    { arbitrary: fc.tuple(fc.string({ maxLength: 200 }), fc.constantFrom(...CONTENT_TYPES)).map(([text, type]) => ({ text, type })), weight: 2 },
    { arbitrary: fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...CONTENT_TYPES)).map(([bytes, type]) => ({ text: bytes, type })), weight: 1 },
    { arbitrary: fc.constantFrom('application/json', 'text/plain').map((type) => ({ text: undefined, type })), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 1000 }).map((n) => ({ text: JSON.stringify({ big: 'x'.repeat(ctx.maxBodyBytes + n) }), type: 'application/json' })), weight: 1 },
  );
  const extra = spec.headers ?? fc.constant({});
  return fc.record({ params, auth, body, extra, query: spec.query ?? fc.oneof({ arbitrary: fc.constant(''), weight: 5 }, { arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent), weight: 1 }) })
    .map(({ params, auth, body, extra, query }) => {
      let i = 0;
      const path = url.replace(/:(\w+)/g, () => params[i++] ?? '') + (query ? `?${query}` : '');
      const headers: Record<string, string> = {};
      if (auth !== undefined) headers['authorization'] = auth;
      const text = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : body.text;
      if (text !== undefined && body.type) headers['content-type'] = body.type;
      // tus PATCH bodies are usually of tus's own type (else tus answers 415 at once).
      const { 'content-type-override': override, ...rest } = extra as Record<string, string>;
      Object.assign(headers, rest);
      if (text !== undefined && override !== undefined && body.type !== '') headers['content-type'] = override;
      return text === undefined ? { method, path, headers } : { method, path, headers, body: text };
    });
}
