import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { cipherSize, MAX_ATTACHMENT_BYTES, MIN_FILE_CHUNK_BYTES, MLS_START_MIN_ADDS } from '@parley/protocol';
import type { BlobStoreConfig, Config, HostedBotConfig, ListenAddress, SfuConfig, TurnConfig } from './config-types.ts';

export type { HostedBotConfig, ListenAddress, Limits, RateLimits, DeviceLinkLimits, PushPolicy, MlsLimits, CommunityLimits, ModerationLimits, BotLimits, ChannelLimits, ChannelScheduleLimits, ChannelWrapLimits, JoinRequestLimits, ConsentLimits, FileLimits, BlobStoreConfig, Config, TurnConfig, SfuConfig } from './config-types.ts';

/**
 * The server's one typed config object, read from environment variables with defaults and
 * validated at start. Every limit the server enforces is here (docs/OPERATIONS.md lists them).
 */
const Int = (def: number) => z.coerce.number().int().nonnegative().default(def);

const DAY_MS = 86_400_000;

const HostPort = z.string().transform((value, ctx): ListenAddress => {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !(port <= 65_535)) {
    ctx.addIssue({ code: 'custom', message: 'must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464' });
    return z.NEVER;
  }
  return { host, port };
});

/** R129: `TOKEN@HOST:PORT`, comma-separated: the bots whose gateway this server runs, and where each one's Bot APIs listen. */
const HostedBots = z.string().default('').transform((value, ctx): HostedBotConfig[] => {
  const bots: HostedBotConfig[] = [];
  for (const [i, item] of value.split(',').map((v) => v.trim()).filter((v) => v !== '').entries()) {
    const at = item.indexOf('@');
    const token = item.slice(0, Math.max(0, at));
    const listen = HostPort.safeParse(item.slice(at + 1));
    // The message never repeats the item: it holds a token.
    if (at < 0 || !/^[A-Za-z0-9_-]{8,64}:[A-Za-z0-9_-]{32,64}$/.test(token)) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not TOKEN@HOST:PORT` });
    else if (!listen.success) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${listen.error.issues[0]?.message ?? 'bad address'}` });
    else bots.push({ token, listen: listen.data });
  }
  return bots;
});

/** A comma-separated list; blanks around entries and empty entries are dropped. */
const List = (entry: z.ZodString, what: string) => z.string().default('').transform((value, ctx) => {
  const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  for (const item of items) {
    if (!entry.safeParse(item).success) ctx.addIssue({ code: 'custom', message: `not ${what}: ${item}` });
  }
  return items;
});
/** A push service host name for the allow-list: `fcm.googleapis.com`, or `*.notify.windows.com` for its subdomains. */
const PushHost = z.string().regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/);
const Cidr = z.string().refine((v) => ipaddr.isValidCIDR(v));
/** A TURN server URL as RFC 7065 writes it: `turn:host:3478?transport=udp`, `turns:host:443?transport=tcp`. */
const TurnUrl = z.string().regex(/^turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/);

/** True when `host` only accepts connections from this machine (no warning about /metrics then). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
/** `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`: what Fastify's trustProxy (proxy-addr) accepts as an address. */
function isAddressOrCidr(value: string): boolean {
  const [address = '', bits, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Clients give key packages a 4-week MLS lifetime (packages/client/src/mls/key-packages.ts) and a
 * committer refuses an expired one; a claimed package needs some of it left for the commit (R14).
 */
export const KEY_PACKAGE_MAX_AGE_LIMIT_MS = 27 * DAY_MS;

const EnvSchema = z.object({
  PORT: Int(8080),
  HOST: z.string().default('0.0.0.0'),
  PARLEY_DATA_DIR: z.string().default('./data'),
  /** postgres://… : use PostgreSQL instead of the embedded SQLite database (a cluster needs it). */
  PARLEY_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  PARLEY_PG_POOL_SIZE: Int(10),
  /** nats://… : fan out between nodes through NATS instead of in-process only. */
  PARLEY_NATS_URL: z.string().regex(/^(nats|tls):\/\//, 'must start with nats://').optional(),
  PARLEY_NATS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('parley'),
  PARLEY_NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  PARLEY_DRAIN_TIMEOUT_MS: Int(10_000),
  /** host:port of a listener that serves only GET /metrics; the public port then does not serve it. */
  PARLEY_METRICS_LISTEN: HostPort.optional(),
  /** Where numbered .sql migrations are read from; defaults to the ones shipped with this version. */
  PARLEY_MIGRATIONS_DIR: z.string().optional(),
  /** The public origin users open; passkeys are bound to its host name. */
  PARLEY_ORIGIN: z.string().optional(),
  PARLEY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PARLEY_WEB_DIST: z.string().optional(),
  PARLEY_MAX_ENVELOPE_BYTES: Int(64 * 1024),
  /** An MLS commit's envelope (R15): bigger than a message's, since a group's start and its adds carry key packages and a Welcome with the tree. */
  PARLEY_MAX_COMMIT_BYTES: Int(512 * 1024),
  /**
   * R116: members per group. 5,000 by default (issue 12's building or school): the server and the wire
   * handle it (R117's join deltas; the 4 MiB buffer holds its summary), and since ts-mls's lazy secret
   * tree a join costs each member's device ~50 ms of MLS work at 5,000 (bench/mls-join-cost.ts). More
   * needs a bigger PARLEY_WS_BUFFER_BYTES.
   */
  PARLEY_MAX_GROUP_MEMBERS: Int(5000),
  /** R117: a group of more than this many members hears joins and leaves as `members` frames (that member only) instead of every device reading the whole summary again. */
  PARLEY_LARGE_CHAT_MEMBERS: Int(100),
  /** R137: this long after a large group's last `members` frame a connection hears the group's member digest again (0: never). */
  PARLEY_MEMBERS_SETTLE_MS: Int(10_000),
  /** R73: communities one user is a member of (creating or joining one more: community_limit). */
  PARLEY_MAX_COMMUNITIES_PER_USER: Int(100),
  /** R73: chats one community links (announcements and general count). */
  PARLEY_MAX_COMMUNITY_CHATS: Int(50),
  /** R73: members of one community; every member is in its announcements chat, so at most PARLEY_MAX_GROUP_MEMBERS (0, the default: that). */
  PARLEY_MAX_COMMUNITY_MEMBERS: Int(0),
  /** R82: the longest a mute may last (default 30 days); longer asks get bad_request. */
  PARLEY_MAX_MUTE_MS: Int(30 * 86_400_000),
  /** R82: the longest slow mode interval (default 1 hour; at most a day). */
  PARLEY_MAX_SLOW_MODE_MS: Int(3_600_000).refine((n) => n <= 86_400_000, 'at most 86400000 (a day)'),
  /** R84: reports one user may file per hour, across communities. */
  PARLEY_RATE_REPORTS_PER_HOUR: Int(20),
  /** R90: bots one person may own. */
  PARLEY_MAX_BOTS_PER_USER: Int(20),
  /** R92: messages one bot may send per second, over all its chats (0: unlimited), and its burst. */
  PARLEY_RATE_BOT_SEND_PER_SEC: Int(30),
  PARLEY_RATE_BOT_SEND_BURST: Int(60),
  /** R143: the largest bot avatar, in bytes (default 512 KiB). */
  PARLEY_BOT_AVATAR_MAX_BYTES: Int(512 * 1024).refine((n) => n >= 1, 'must be at least 1'),
  /** R129: bots whose gateway this server runs: `TOKEN@HOST:PORT`, comma-separated (HOST: keep it loopback). */
  PARLEY_HOSTED_BOTS: HostedBots,
  /** R84: reports in one page of a community's report list (newest first). */
  PARLEY_REPORTS_PAGE_MAX: Int(200).refine((n) => n >= 1, 'must be at least 1'),
  /** R96: characters in a channel post's text (the signed JSON around it may add its entities). */
  PARLEY_CHANNEL_MAX_POST_CHARS: Int(4096).refine((n) => n >= 1, 'must be at least 1'),
  /** R96: posts and changes of posts (edits, deletions, pins) one channel takes per hour, from all its admins together. */
  PARLEY_CHANNEL_POSTS_PER_HOUR: Int(100).refine((n) => n >= 1, 'must be at least 1'),
  /** R95b: admins of one channel, its owner included (each has a key in the signed list). */
  PARLEY_CHANNEL_MAX_ADMINS: Int(50).refine((n) => n >= 1, 'must be at least 1'),
  /** R97: channels one person subscribes to (their connections hear each one's notices). */
  PARLEY_CHANNEL_MAX_SUBSCRIPTIONS: Int(1000).refine((n) => n >= 1, 'must be at least 1'),
  /** R97: entries in one page of a channel's log or post list. */
  PARLEY_CHANNEL_PAGE_MAX: Int(100).refine((n) => n >= 1, 'must be at least 1'),
  /** R96: how far a post's signed date may be from the server's clock. */
  PARLEY_CHANNEL_MAX_DATE_SKEW_MS: Int(600_000),
  /** R96/R184/R50: posts pinned at once in one channel (public, wrapped; an MLS channel's devices enforce it). */
  PARLEY_CHANNEL_MAX_PINS: Int(50).refine((n) => n >= 1, 'must be at least 1'),
  /** R98: the time bucket view counters add up in (default an hour). */
  PARLEY_CHANNEL_VIEW_BUCKET_MS: Int(3_600_000).refine((n) => n >= 1000, 'at least 1000'),
  /** R98: view reports (each up to 100 posts) one device sends per minute. */
  PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN: Int(30).refine((n) => n >= 1, 'must be at least 1'),
  /** R99: public page and feed requests per minute from one IP address. */
  PARLEY_CHANNEL_PUBLIC_PER_MIN: Int(60).refine((n) => n >= 1, 'must be at least 1'),
  /** R99: posts on a public page and in a feed (newest). */
  PARLEY_CHANNEL_PUBLIC_POSTS: Int(20).refine((n) => n >= 1 && n <= 100, '1 to 100'),
  /** R110: photos and files one public post names (at most 100). */
  PARLEY_CHANNEL_MAX_ATTACHMENTS: Int(10).refine((n) => n <= 100, 'at most 100'),
  /** R110: the largest photo or file of a public post, in bytes (the upload itself is also held to PARLEY_MAX_FILE_BYTES). */
  PARLEY_CHANNEL_MAX_ATTACHMENT_BYTES: Int(20 * 1024 * 1024).refine((n) => n >= 1, 'must be at least 1'),
  /** R110: public media requests (/c/<handle>/media/<id>) per minute from one IP address. */
  PARLEY_CHANNEL_MEDIA_PER_MIN: Int(600).refine((n) => n >= 1, 'must be at least 1'),
  /** R111: channel searches per minute from one user. */
  PARLEY_CHANNEL_SEARCH_PER_MIN: Int(30).refine((n) => n >= 1, 'must be at least 1'),
  /** R198: votes (cast, changed or taken back) one user sends to public channels' polls a minute. */
  PARLEY_CHANNEL_VOTES_PER_MIN: Int(30).refine((n) => n >= 1, 'must be at least 1'),
  /** R111: results in one page of a channel search (at most 100). */
  PARLEY_CHANNEL_SEARCH_PAGE_MAX: Int(20).refine((n) => n >= 1 && n <= 100, '1 to 100'),
  /** R100: the longest note a request to join a community may carry (characters, after trimming; at most 1000). */
  PARLEY_MAX_JOIN_NOTE_CHARS: Int(280).refine((n) => n <= 1000, 'at most 1000'),
  /** R100: pending requests to join one community (they wait for an admin); also the size of the admins' list. */
  PARLEY_MAX_PENDING_JOIN_REQUESTS: Int(100).refine((n) => n >= 1, 'must be at least 1'),
  /** R100: requests to join one user may make per hour, across communities. */
  PARLEY_RATE_JOIN_REQUESTS_PER_HOUR: Int(10).refine((n) => n >= 1, 'must be at least 1'),
  /** R84b: how long a report (its reported text) is kept after it was resolved, or filed if no one resolved it (default 90 days; 0: forever). */
  PARLEY_REPORT_RETENTION_MS: Int(90 * 86_400_000),
  /** R84b: how often each node deletes reports past retention (default hourly; 0: never, tests call the sweep). */
  PARLEY_REPORT_SWEEP_INTERVAL_MS: Int(3_600_000),
  PARLEY_HISTORY_PAGE_MAX: Int(500),
  /** R40: chats in one page of the chat list (a page also stays under a quarter of PARLEY_WS_BUFFER_BYTES). */
  PARLEY_CHAT_PAGE_MAX: Int(200).refine((n) => n >= 1, 'must be at least 1'),
  /** R40/R116: unsent bytes one connection may hold; a summary of a group at PARLEY_MAX_GROUP_MEMBERS must fit half of it (4 MiB: 5,000 members). */
  PARLEY_WS_BUFFER_BYTES: Int(4 * 1024 * 1024),
  PARLEY_WS_FRAMES_PER_SEC: Int(200),
  PARLEY_MAX_HTTP_BODY_BYTES: Int(256 * 1024),
  PARLEY_RATE_SEND_PER_SEC: Int(20),
  PARLEY_RATE_SEND_BURST: Int(100),
  PARLEY_RATE_SIGNUP_PER_HOUR: Int(30),
  PARLEY_RATE_LOGIN_PER_MIN: Int(30),
  PARLEY_RATE_API_PER_SEC: Int(20),
  /** Insider bounds (docs/SECURITY.md): what one member's device may make the server do for, or to, others. */
  PARLEY_RATE_HISTORY_PER_SEC: Int(10),
  PARLEY_RATE_HISTORY_BURST: Int(300),
  PARLEY_RATE_RECEIPT_PER_SEC: Int(20),
  PARLEY_RATE_RECEIPT_BURST: Int(400),
  PARLEY_RATE_TYPING_PER_SEC: Int(2),
  PARLEY_RATE_COMMIT_PER_MIN: Int(30),
  PARLEY_RATE_MEMBER_CHANGES_PER_MIN: Int(60),
  PARLEY_RATE_REJOIN_PER_HOUR: Int(10),
  PARLEY_RATE_INVITES_PER_HOUR: Int(30),
  PARLEY_RATE_CHATS_PER_HOUR: Int(100),
  PARLEY_RATE_DEVICES_PER_DAY: Int(10),
  PARLEY_RATE_PASSKEY_ADDS_PER_DAY: Int(5),
  PARLEY_SESSION_TTL_DAYS: Int(90),
  PARLEY_AUTH_TIMEOUT_MS: Int(10_000),
  PARLEY_WS_PING_INTERVAL_MS: Int(30_000),
  PARLEY_PUSH_MIN_INTERVAL_MS: Int(30_000),
  PARLEY_VAPID_SUBJECT: z.string().default('mailto:admin@localhost'),
  /** R37: Web Push subscriptions kept per device; a new one beyond it replaces the device's oldest. */
  PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE: Int(5).refine((n) => n >= 1, 'must be at least 1'),
  /** R37: push service hosts pushes may go to (exact or `*.suffix`); unset: any public host. */
  PARLEY_PUSH_ALLOWED_HOSTS: List(PushHost, 'a host name (or *.domain)'),
  /** R37, DANGEROUS: networks whose non-public addresses pushes may go to anyway (a push service on your own network). */
  PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: List(Cidr, 'a network in CIDR form (10.1.2.0/24, fd00::/64)'),
  /** R118: a call's Web Push rings this long (the push service drops it after; the device ignores it after). */
  PARLEY_CALL_RING_MS: Int(45_000).refine((ms) => ms >= 5_000 && ms <= 120_000, 'must be between 5000 and 120000'),
  /** R118: ring requests per caller device per minute, and call pushes per callee per minute. */
  PARLEY_RATE_CALL_RING_PER_MIN: Int(10).refine((n) => n >= 1, 'must be at least 1'),
  PARLEY_PUSH_CALL_PUSHES_PER_MIN: Int(6).refine((n) => n >= 1, 'must be at least 1'),
  /** R124: a group call rings the chat's members (open tabs and Web Push) only in groups of at most this many members. */
  PARLEY_CALL_RING_MAX_MEMBERS: Int(32).refine((n) => n >= 2 && n <= 5_000, 'must be between 2 and 5000'),
  /** R60: TURN servers for calls (coturn with `use-auth-secret`): their URLs and the shared secret. */
  PARLEY_TURN_URLS: List(TurnUrl, 'a TURN URL (turn:host:port?transport=udp|tcp or turns:host:port?transport=tcp)'),
  PARLEY_TURN_SECRET: z.string().min(16, 'must be at least 16 characters (a random secret shared with the TURN server)').optional(),
  PARLEY_TURN_TTL_MS: Int(12 * 60 * 60 * 1000).refine((ms) => ms >= 60_000 && ms <= 7 * 24 * 60 * 60 * 1000, 'must be between 1 minute and 7 days'),
  PARLEY_RATE_TURN_PER_HOUR: Int(60),
  /** R62: group calls through Janus (VideoRoom): the public URL clients use, and the admin API only this server uses. */
  PARLEY_JANUS_URL: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL (Janus\'s public HTTP API, e.g. https://sfu.example.org/janus: the SDK speaks its long-poll transport)').optional(),
  PARLEY_JANUS_ADMIN_URL: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL (Janus admin API, e.g. http://127.0.0.1:7088/admin)').optional(),
  PARLEY_JANUS_ADMIN_SECRET: z.string().min(16, 'must be at least 16 characters (Janus admin_secret)').optional(),
  PARLEY_JANUS_ROOM_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters (the VideoRoom plugin admin_key)').optional(),
  PARLEY_CALL_MAX_PARTICIPANTS: Int(50).refine((n) => n >= 2 && n <= 500, 'must be between 2 and 500'),
  PARLEY_SFU_TOKEN_TTL_MS: Int(60 * 60 * 1000).refine((ms) => ms >= 60_000 && ms <= DAY_MS, 'must be between 1 minute and 1 day'),
  PARLEY_RATE_SFU_ROOM_PER_HOUR: Int(120),
  PARLEY_SFU_SWEEP_INTERVAL_MS: Int(60_000).refine((ms) => ms >= 1_000, 'must be at least 1000'),
  /** R45: the link preview fetcher: on (default) or off. */
  PARLEY_LINK_PREVIEWS: z.enum(['on', 'off']).default('on'),
  PARLEY_RATE_PREVIEWS_PER_MIN: Int(20),
  PARLEY_PREVIEW_TIMEOUT_MS: Int(8000).refine((ms) => ms >= 100, 'must be at least 100'),
  PARLEY_PREVIEW_MAX_PAGE_BYTES: Int(512 * 1024),
  PARLEY_PREVIEW_MAX_IMAGE_BYTES: Int(1024 * 1024),
  /** R45, DANGEROUS: networks whose non-public addresses the preview fetcher may fetch from anyway. */
  PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: List(Cidr, 'a network in CIDR form (10.1.2.0/24, fd00::/64)'),
  PARLEY_DEVICE_LINK_TTL_MS: Int(300_000),
  PARLEY_DEVICE_LINK_MAX_ATTEMPTS: Int(5),
  PARLEY_DEVICE_LINK_MAX_PENDING: Int(3),
  PARLEY_RATE_DEVICE_LINK_PER_HOUR: Int(20),
  /** R43: link requests per source for one account per hour. */
  PARLEY_RATE_DEVICE_LINK_PER_ACCOUNT_PER_HOUR: Int(5),
  /** R43: what a sign-in prompt shows of where the request came from. */
  PARLEY_LINK_ORIGIN_HINT: z.enum(['none', 'ip-prefix', 'ip']).default('none'),
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated), so
   * per-client limits see the client, not the proxy. Unset: the peer address is the client.
   */
  PARLEY_TRUST_PROXY: z.string().refine((list) => list.split(',').map((x) => x.trim()).filter(Boolean).every(isAddressOrCidr),
    'addresses or CIDRs (10.0.0.0/8, ::1), comma-separated').optional(),
  PARLEY_RATE_DEVICE_LINK_POLL_PER_SEC: Int(2),
  /** R14: key packages uploaded longer ago are never handed out, and are deleted. */
  PARLEY_KEY_PACKAGE_MAX_AGE_MS: Int(21 * DAY_MS).refine((ms) => ms > 0 && ms <= KEY_PACKAGE_MAX_AGE_LIMIT_MS,
    `must be 1..${KEY_PACKAGE_MAX_AGE_LIMIT_MS} (27 days: below the 4-week key package lifetime)`),
  /** R41: claims naming one user, from anyone, per hour before their devices give out only last-resort key packages. */
  PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR: Int(200),
  /** R42: how long an invite link works, and the longest a creator may choose (at least a minute). */
  /** R44: adds and direct chats from people who share no chat with the person are requests (false: everyone adds anyone). */
  PARLEY_CONSENT_REQUIRED: z.enum(['true', 'false']).default('true'),
  PARLEY_MAX_PENDING_REQUESTS: Int(100),
  PARLEY_RATE_REQUESTS_PER_DAY: Int(50),
  PARLEY_REQUEST_TTL_MS: Int(30 * DAY_MS),
  PARLEY_MAX_CHATS_PER_USER: Int(10_000),
  PARLEY_RATE_DIRECT_ADDS_PER_DAY: Int(20),
  PARLEY_INVITE_TTL_MS: Int(7 * DAY_MS).refine((ms) => ms >= 60_000, 'must be at least 60000 (a minute)'),
  /** R36: a chat's group may be started again (a reset) at most once per this many ms. */
  PARLEY_MLS_RESET_INTERVAL_MS: Int(60_000),
  /** R35: public group states kept decoded in memory for commit checks (bytes of their encoding, per node). */
  PARLEY_MLS_STATE_CACHE_BYTES: Int(64 * 1024 * 1024),
  /** R36b: a group's start that leaves out devices with key packages must add at least this many, the first in order. */
  PARLEY_MLS_START_MIN_ADDS: Int(MLS_START_MIN_ADDS),
  /** R35b: how long the group's public state at an epoch a Welcome led to stays readable for the devices it added. */
  PARLEY_MLS_JOIN_STATE_TTL_MS: Int(14 * DAY_MS).refine((ms) => ms >= 60_000, 'must be at least 60000 (a minute)'),
  /** R53: the largest file (plaintext bytes) a device may upload; a tus Upload-Length is at most its ciphertext size. */
  PARLEY_MAX_FILE_BYTES: Int(4 * 1024 ** 3).refine((n) => n >= 1 && n <= MAX_ATTACHMENT_BYTES, `must be 1..${MAX_ATTACHMENT_BYTES}`),
  /** R53/R56: bytes of blobs one account may store (unfinished uploads count with their declared length). */
  PARLEY_STORAGE_QUOTA_BYTES: Int(20 * 1024 ** 3),
  /** R53: unfinished uploads one device may have at once. */
  PARLEY_MAX_UPLOADS_IN_FLIGHT: Int(8).refine((n) => n >= 1, 'must be at least 1'),
  /** R53: uploads one device may start per hour (burst: the same number). */
  PARLEY_RATE_UPLOADS_PER_HOUR: Int(300),
  /** R56: a blob nothing references, or an upload left unfinished, is deleted this long after its last write. */
  PARLEY_BLOB_UNREFERENCED_TTL_MS: Int(DAY_MS).refine((ms) => ms >= 1000, 'must be at least 1000'),
  /** R53: an upload request that sends no byte for this long is closed (its stored bytes stay; the client resumes). 0: never. */
  PARLEY_BLOB_IDLE_TIMEOUT_MS: Int(60_000),
  /** R56: how often the blob sweep runs (0: never, for tests that call it). */
  PARLEY_BLOB_GC_INTERVAL_MS: Int(10 * 60_000),
  /** Where blob bytes live: `disk` (PARLEY_BLOB_DIR) or `s3` (an S3-compatible bucket, for clusters). */
  PARLEY_BLOB_STORE: z.enum(['disk', 's3']).default('disk'),
  /** The disk store's folder; default `<PARLEY_DATA_DIR>/blobs`. */
  PARLEY_BLOB_DIR: z.string().optional(),
  PARLEY_S3_ENDPOINT: z.string().url().optional(),
  PARLEY_S3_BUCKET: z.string().min(3).max(63).optional(),
  PARLEY_S3_REGION: z.string().min(1).default('us-east-1'),
  PARLEY_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  PARLEY_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  PARLEY_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /** The S3 store's multipart part size: each PATCH is buffered on disk up to this before it goes up (S3's minimum is 5 MiB). */
  PARLEY_S3_PART_BYTES: Int(8 * 1024 * 1024).refine((n) => n >= 5 * 1024 * 1024, 'must be at least 5 MiB (5242880)'),
  // --- R115: scheduled channel posts ---
  /** R115: how far ahead a post may be scheduled (default 366 days). */
  PARLEY_CHANNEL_MAX_SCHEDULE_MS: Int(366 * DAY_MS).refine((ms) => ms >= 60_000, 'must be at least 60000 (a minute)'),
  /** R115: scheduled posts one channel holds at once. */
  PARLEY_CHANNEL_MAX_SCHEDULED: Int(100).refine((n) => n >= 1, 'must be at least 1'),
  /** R115: how often each node publishes the scheduled posts whose time has come (0: never, for a node that should not). */
  PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: Int(10_000),
  // --- R141-R142: private channels past the MLS size (wrapped epoch keys) ---
  /** R141: a private channel whose members would pass this switches to wrapped mode (0: PARLEY_MAX_COMMUNITY_MEMBERS). */
  PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: Int(0),
  /** R141: the most members a private channel in wrapped mode holds. */
  PARLEY_CHANNEL_MAX_WRAPPED_SUBSCRIBERS: Int(1_000_000).refine((n) => n >= 1, 'must be at least 1'),
  /** R141: wraps per upload and per page of unwrapped devices. */
  PARLEY_CHANNEL_WRAP_BATCH: Int(1000).refine((n) => n >= 1 && n <= 5000, 'must be 1-5000'),
  /** R142: the largest wrapped post body (its base64 characters). */
  PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS: Int(65_536).refine((n) => n >= 256, 'must be at least 256'),
  /** R149: a device without a wrap of the current epoch tells the admins at most this often. */
  PARLEY_CHANNEL_WRAP_ASK_MS: Int(60_000).refine((n) => n >= 1000, 'must be at least 1000'),
  /** R168: what each file a wrapped post carries adds to PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS (its sealed thumbnail and metadata). */
  PARLEY_CHANNEL_WRAPPED_POST_FILE_CHARS: Int(57_344).refine((n) => n >= 1024, 'must be at least 1024'),
  /** R166: reactions (put or taken back) one user sends to wrapped posts a minute. */
  PARLEY_CHANNEL_WRAPPED_REACTIONS_PER_MIN: Int(60).refine((n) => n >= 1, 'must be at least 1'),
  /** R177: comment marks (added or taken back) one user sends to wrapped posts a minute. */
  PARLEY_CHANNEL_WRAPPED_COMMENTS_PER_MIN: Int(30).refine((n) => n >= 1, 'must be at least 1'),
  /** R185: votes (cast, changed or taken back) one user sends to wrapped polls a minute. */
  PARLEY_CHANNEL_WRAPPED_VOTES_PER_MIN: Int(30).refine((n) => n >= 1, 'must be at least 1'),
  /** R185: the least time between two `wrapped_votes` notices of one poll (its counts changed), per node. */
  PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS: Int(2000).refine((n) => n >= 100, 'at least 100'),
});


/**
 * Bytes of JSON one member takes in a chat summary, at most (ids, handle, a 64-character name with
 * escapes, role, seqs). A person asked to join (`requested`, R44) takes less (no role or seqs), and
 * members and people asked together are at most PARLEY_MAX_GROUP_MEMBERS, so this bounds both.
 */
export const MEMBER_JSON_MAX_BYTES = 400;

/**
 * R40: every frame the server sends must fit a connection's send buffer, or the connection is closed
 * (4008) and asks for the same thing again, forever. Paged frames (chat list, history) stop within
 * it by themselves; what cannot be split must fit: one message or commit at its size limit, and one
 * chat summary of a group at the member limit (members and people asked together, R44).
 */
function checkFramesFitBuffer(e: z.infer<typeof EnvSchema>): void {
  const buffer = e.PARLEY_WS_BUFFER_BYTES;
  const frame = Math.max(e.PARLEY_MAX_ENVELOPE_BYTES, e.PARLEY_MAX_COMMIT_BYTES) + 4096;
  if (buffer < frame + 16 * 1024) {
    throw new Error(`invalid configuration: PARLEY_WS_BUFFER_BYTES (${buffer}) must be at least PARLEY_MAX_COMMIT_BYTES/PARLEY_MAX_ENVELOPE_BYTES (the larger) + 20 KiB (${frame + 16 * 1024}): a message at the size limit must fit a connection's send buffer (R40)`);
  }
  if (e.PARLEY_MAX_GROUP_MEMBERS * MEMBER_JSON_MAX_BYTES > buffer / 2) {
    throw new Error(`invalid configuration: PARLEY_WS_BUFFER_BYTES (${buffer}) must be at least PARLEY_MAX_GROUP_MEMBERS × ${MEMBER_JSON_MAX_BYTES} × 2 (${e.PARLEY_MAX_GROUP_MEMBERS * MEMBER_JSON_MAX_BYTES * 2}): the summary of a group at the member limit (members and people asked together, R44) must fit a connection's send buffer (R40)`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  checkFramesFitBuffer(e);
  if (e.PARLEY_MAX_COMMUNITY_MEMBERS > e.PARLEY_MAX_GROUP_MEMBERS) {
    throw new Error(`invalid configuration: PARLEY_MAX_COMMUNITY_MEMBERS (${e.PARLEY_MAX_COMMUNITY_MEMBERS}) must be at most PARLEY_MAX_GROUP_MEMBERS (${e.PARLEY_MAX_GROUP_MEMBERS}): every member of a community is in its announcements chat (R73)`);
  }
  const origin = e.PARLEY_ORIGIN ?? `http://localhost:${e.PORT}`;
  let rpId: string;
  try {
    rpId = new URL(origin).hostname;
  } catch {
    throw new Error(`invalid configuration: PARLEY_ORIGIN is not a URL: ${origin}`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.PARLEY_DATA_DIR,
    databaseUrl: e.PARLEY_DATABASE_URL,
    pgPoolSize: e.PARLEY_PG_POOL_SIZE,
    natsUrl: e.PARLEY_NATS_URL,
    natsPrefix: e.PARLEY_NATS_PREFIX,
    nodeId: e.PARLEY_NODE_ID ?? `${hostname()}-${process.pid}`,
    drainTimeoutMs: e.PARLEY_DRAIN_TIMEOUT_MS,
    metricsListen: e.PARLEY_METRICS_LISTEN,
    hostedBots: e.PARLEY_HOSTED_BOTS,
    migrationsDir: e.PARLEY_MIGRATIONS_DIR,
    origin,
    rpId,
    trustProxy: (e.PARLEY_TRUST_PROXY ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    logLevel: e.PARLEY_LOG_LEVEL,
    webDist: e.PARLEY_WEB_DIST,
    limits: {
      maxEnvelopeBytes: e.PARLEY_MAX_ENVELOPE_BYTES,
      maxCommitBytes: e.PARLEY_MAX_COMMIT_BYTES,
      maxFrameBytes: Math.max(e.PARLEY_MAX_ENVELOPE_BYTES, e.PARLEY_MAX_COMMIT_BYTES) + 4096,
      maxGroupMembers: e.PARLEY_MAX_GROUP_MEMBERS,
      largeChatMembers: e.PARLEY_LARGE_CHAT_MEMBERS,
      historyPageMax: e.PARLEY_HISTORY_PAGE_MAX,
      chatPageMax: e.PARLEY_CHAT_PAGE_MAX,
      wsBufferBytes: e.PARLEY_WS_BUFFER_BYTES,
      wsFramesPerSec: e.PARLEY_WS_FRAMES_PER_SEC,
      maxHttpBodyBytes: e.PARLEY_MAX_HTTP_BODY_BYTES,
    },
    rates: {
      sendPerSec: e.PARLEY_RATE_SEND_PER_SEC,
      sendBurst: e.PARLEY_RATE_SEND_BURST,
      signupPerHour: e.PARLEY_RATE_SIGNUP_PER_HOUR,
      loginPerMin: e.PARLEY_RATE_LOGIN_PER_MIN,
      apiPerSec: e.PARLEY_RATE_API_PER_SEC,
      historyPerSec: e.PARLEY_RATE_HISTORY_PER_SEC,
      historyBurst: e.PARLEY_RATE_HISTORY_BURST,
      receiptPerSec: e.PARLEY_RATE_RECEIPT_PER_SEC,
      receiptBurst: e.PARLEY_RATE_RECEIPT_BURST,
      typingPerSec: e.PARLEY_RATE_TYPING_PER_SEC,
      commitPerMin: e.PARLEY_RATE_COMMIT_PER_MIN,
      memberChangesPerMin: e.PARLEY_RATE_MEMBER_CHANGES_PER_MIN,
      rejoinPerHour: e.PARLEY_RATE_REJOIN_PER_HOUR,
      invitesPerHour: e.PARLEY_RATE_INVITES_PER_HOUR,
      chatsPerHour: e.PARLEY_RATE_CHATS_PER_HOUR,
      devicesPerDay: e.PARLEY_RATE_DEVICES_PER_DAY,
      passkeyAddsPerDay: e.PARLEY_RATE_PASSKEY_ADDS_PER_DAY,
    },
    sessionTtlMs: e.PARLEY_SESSION_TTL_DAYS * DAY_MS,
    authTimeoutMs: e.PARLEY_AUTH_TIMEOUT_MS,
    membersSettleMs: e.PARLEY_MEMBERS_SETTLE_MS,
    wsPingIntervalMs: e.PARLEY_WS_PING_INTERVAL_MS,
    pushMinIntervalMs: e.PARLEY_PUSH_MIN_INTERVAL_MS,
    vapidSubject: e.PARLEY_VAPID_SUBJECT,
    push: {
      maxSubscriptionsPerDevice: e.PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE,
      allowedHosts: e.PARLEY_PUSH_ALLOWED_HOSTS,
      allowPrivateNetworks: e.PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS,
      callRingMs: e.PARLEY_CALL_RING_MS,
      callRingRequestsPerMin: e.PARLEY_RATE_CALL_RING_PER_MIN,
      callPushesPerMin: e.PARLEY_PUSH_CALL_PUSHES_PER_MIN,
      callRingMaxMembers: e.PARLEY_CALL_RING_MAX_MEMBERS,
    },
    deviceLink: {
      ttlMs: e.PARLEY_DEVICE_LINK_TTL_MS,
      maxAttempts: Math.max(1, e.PARLEY_DEVICE_LINK_MAX_ATTEMPTS),
      maxPending: Math.max(1, e.PARLEY_DEVICE_LINK_MAX_PENDING),
      requestsPerHour: e.PARLEY_RATE_DEVICE_LINK_PER_HOUR,
      perAccountPerHour: e.PARLEY_RATE_DEVICE_LINK_PER_ACCOUNT_PER_HOUR,
      originHint: e.PARLEY_LINK_ORIGIN_HINT,
      pollPerSec: e.PARLEY_RATE_DEVICE_LINK_POLL_PER_SEC,
    },
    keyPackageMaxAgeMs: e.PARLEY_KEY_PACKAGE_MAX_AGE_MS,
    inviteTtlMs: e.PARLEY_INVITE_TTL_MS,
    consent: {
      required: e.PARLEY_CONSENT_REQUIRED === 'true',
      maxPendingPerUser: Math.max(1, e.PARLEY_MAX_PENDING_REQUESTS),
      requestsPerDay: e.PARLEY_RATE_REQUESTS_PER_DAY,
      requestTtlMs: e.PARLEY_REQUEST_TTL_MS,
      maxChatsPerUser: Math.max(1, e.PARLEY_MAX_CHATS_PER_USER),
      directAddsPerDay: e.PARLEY_RATE_DIRECT_ADDS_PER_DAY,
    },
    communities: {
      maxPerUser: Math.max(1, e.PARLEY_MAX_COMMUNITIES_PER_USER),
      maxChats: Math.max(2, e.PARLEY_MAX_COMMUNITY_CHATS),
      maxMembers: e.PARLEY_MAX_COMMUNITY_MEMBERS || e.PARLEY_MAX_GROUP_MEMBERS,
      largeMembers: e.PARLEY_LARGE_CHAT_MEMBERS,
    },
    moderation: {
      maxMuteMs: e.PARLEY_MAX_MUTE_MS,
      maxSlowModeMs: e.PARLEY_MAX_SLOW_MODE_MS,
      reportsPerHour: e.PARLEY_RATE_REPORTS_PER_HOUR,
      reportsPageMax: e.PARLEY_REPORTS_PAGE_MAX,
      reportRetentionMs: e.PARLEY_REPORT_RETENTION_MS,
      reportSweepIntervalMs: e.PARLEY_REPORT_SWEEP_INTERVAL_MS,
    },
    bots: { maxPerOwner: e.PARLEY_MAX_BOTS_PER_USER, sendPerSec: e.PARLEY_RATE_BOT_SEND_PER_SEC, sendBurst: e.PARLEY_RATE_BOT_SEND_BURST, avatarMaxBytes: e.PARLEY_BOT_AVATAR_MAX_BYTES },
    channels: {
      maxPostChars: e.PARLEY_CHANNEL_MAX_POST_CHARS,
      postsPerHour: e.PARLEY_CHANNEL_POSTS_PER_HOUR,
      maxAdmins: e.PARLEY_CHANNEL_MAX_ADMINS,
      maxSubscriptionsPerUser: e.PARLEY_CHANNEL_MAX_SUBSCRIPTIONS,
      pageMax: e.PARLEY_CHANNEL_PAGE_MAX,
      maxDateSkewMs: e.PARLEY_CHANNEL_MAX_DATE_SKEW_MS,
      viewBucketMs: e.PARLEY_CHANNEL_VIEW_BUCKET_MS,
      viewReportsPerMin: e.PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN,
      maxPins: e.PARLEY_CHANNEL_MAX_PINS,
      publicPerMin: e.PARLEY_CHANNEL_PUBLIC_PER_MIN,
      publicPosts: e.PARLEY_CHANNEL_PUBLIC_POSTS,
      maxAttachments: e.PARLEY_CHANNEL_MAX_ATTACHMENTS,
      maxAttachmentBytes: e.PARLEY_CHANNEL_MAX_ATTACHMENT_BYTES,
      mediaPerMin: e.PARLEY_CHANNEL_MEDIA_PER_MIN,
      searchPerMin: e.PARLEY_CHANNEL_SEARCH_PER_MIN,
      searchPageMax: e.PARLEY_CHANNEL_SEARCH_PAGE_MAX,
      votesPerMin: e.PARLEY_CHANNEL_VOTES_PER_MIN, // R198
    },
    joinRequests: {
      maxNoteChars: e.PARLEY_MAX_JOIN_NOTE_CHARS,
      maxPendingPerCommunity: e.PARLEY_MAX_PENDING_JOIN_REQUESTS,
      perHour: e.PARLEY_RATE_JOIN_REQUESTS_PER_HOUR,
    },
    turn: turnConfig(e),
    sfu: sfuConfig(e),
    previews: {
      enabled: e.PARLEY_LINK_PREVIEWS === 'on',
      perMin: e.PARLEY_RATE_PREVIEWS_PER_MIN,
      timeoutMs: e.PARLEY_PREVIEW_TIMEOUT_MS,
      maxPageBytes: e.PARLEY_PREVIEW_MAX_PAGE_BYTES,
      maxImageBytes: e.PARLEY_PREVIEW_MAX_IMAGE_BYTES,
      allowPrivateNetworks: e.PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS,
    },
    mls: { resetIntervalMs: e.PARLEY_MLS_RESET_INTERVAL_MS, stateCacheBytes: e.PARLEY_MLS_STATE_CACHE_BYTES, joinStateTtlMs: e.PARLEY_MLS_JOIN_STATE_TTL_MS, startMinAdds: e.PARLEY_MLS_START_MIN_ADDS, claimsPerTargetPerHour: e.PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR },
    files: {
      maxFileBytes: e.PARLEY_MAX_FILE_BYTES,
      // R52 lets a sender pick chunks of 16 KiB to 4 MiB; the smallest add the most tags, so this is the
      // largest blob a file of maxFileBytes can make.
      maxBlobBytes: cipherSize(e.PARLEY_MAX_FILE_BYTES, MIN_FILE_CHUNK_BYTES),
      quotaBytes: e.PARLEY_STORAGE_QUOTA_BYTES,
      maxUploadsInFlight: e.PARLEY_MAX_UPLOADS_IN_FLIGHT,
      uploadsPerHour: e.PARLEY_RATE_UPLOADS_PER_HOUR,
      unreferencedTtlMs: e.PARLEY_BLOB_UNREFERENCED_TTL_MS,
      gcIntervalMs: e.PARLEY_BLOB_GC_INTERVAL_MS,
      idleTimeoutMs: e.PARLEY_BLOB_IDLE_TIMEOUT_MS,
    },
    blobStore: blobStore(e),
    channelWraps: {
      mlsMaxSubscribers: e.PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS || e.PARLEY_MAX_COMMUNITY_MEMBERS || e.PARLEY_MAX_GROUP_MEMBERS,
      maxSubscribers: e.PARLEY_CHANNEL_MAX_WRAPPED_SUBSCRIBERS, batch: e.PARLEY_CHANNEL_WRAP_BATCH, postMaxChars: e.PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS,
      askEveryMs: e.PARLEY_CHANNEL_WRAP_ASK_MS,
      postFileChars: e.PARLEY_CHANNEL_WRAPPED_POST_FILE_CHARS, reactionsPerMin: e.PARLEY_CHANNEL_WRAPPED_REACTIONS_PER_MIN,
      commentsPerMin: e.PARLEY_CHANNEL_WRAPPED_COMMENTS_PER_MIN,
      votesPerMin: e.PARLEY_CHANNEL_WRAPPED_VOTES_PER_MIN, // R185
      voteNoticeMs: e.PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS, // R185
      maxPins: e.PARLEY_CHANNEL_MAX_PINS, // R184
    },
    channelSchedule: { maxScheduleMs: e.PARLEY_CHANNEL_MAX_SCHEDULE_MS, maxPerChannel: e.PARLEY_CHANNEL_MAX_SCHEDULED, sweepMs: e.PARLEY_CHANNEL_SCHEDULE_SWEEP_MS },
  };
}

function turnConfig(e: z.infer<typeof EnvSchema>): TurnConfig | undefined {
  if (e.PARLEY_TURN_URLS.length === 0 && e.PARLEY_TURN_SECRET === undefined) return undefined;
  if (e.PARLEY_TURN_URLS.length === 0 || e.PARLEY_TURN_SECRET === undefined) {
    throw new Error('invalid configuration: calls need both PARLEY_TURN_URLS and PARLEY_TURN_SECRET (the TURN server\'s static-auth-secret), or neither');
  }
  return { urls: e.PARLEY_TURN_URLS, secret: e.PARLEY_TURN_SECRET, ttlMs: e.PARLEY_TURN_TTL_MS, perHour: e.PARLEY_RATE_TURN_PER_HOUR };
}

function sfuConfig(e: z.infer<typeof EnvSchema>): SfuConfig | undefined {
  const set = [e.PARLEY_JANUS_URL, e.PARLEY_JANUS_ADMIN_URL, e.PARLEY_JANUS_ADMIN_SECRET, e.PARLEY_JANUS_ROOM_ADMIN_KEY];
  if (set.every((v) => v === undefined)) return undefined;
  if (e.PARLEY_JANUS_URL === undefined || e.PARLEY_JANUS_ADMIN_URL === undefined || e.PARLEY_JANUS_ADMIN_SECRET === undefined || e.PARLEY_JANUS_ROOM_ADMIN_KEY === undefined) {
    throw new Error('invalid configuration: group calls need PARLEY_JANUS_URL, PARLEY_JANUS_ADMIN_URL, PARLEY_JANUS_ADMIN_SECRET and PARLEY_JANUS_ROOM_ADMIN_KEY, or none of them');
  }
  return {
    url: e.PARLEY_JANUS_URL,
    adminUrl: e.PARLEY_JANUS_ADMIN_URL,
    adminSecret: e.PARLEY_JANUS_ADMIN_SECRET,
    roomAdminKey: e.PARLEY_JANUS_ROOM_ADMIN_KEY,
    maxParticipants: e.PARLEY_CALL_MAX_PARTICIPANTS,
    tokenTtlMs: e.PARLEY_SFU_TOKEN_TTL_MS,
    perHour: e.PARLEY_RATE_SFU_ROOM_PER_HOUR,
    sweepIntervalMs: e.PARLEY_SFU_SWEEP_INTERVAL_MS,
  };
}

function blobStore(e: z.infer<typeof EnvSchema>): BlobStoreConfig {
  if (e.PARLEY_BLOB_STORE === 'disk') return { kind: 'disk', dir: e.PARLEY_BLOB_DIR ?? join(e.PARLEY_DATA_DIR, 'blobs') };
  if (!e.PARLEY_S3_BUCKET) throw new Error('invalid configuration: PARLEY_BLOB_STORE=s3 needs PARLEY_S3_BUCKET');
  if ((e.PARLEY_S3_ACCESS_KEY_ID === undefined) !== (e.PARLEY_S3_SECRET_ACCESS_KEY === undefined)) {
    throw new Error('invalid configuration: set both PARLEY_S3_ACCESS_KEY_ID and PARLEY_S3_SECRET_ACCESS_KEY, or neither (the AWS default credential chain)');
  }
  return {
    kind: 's3',
    bucket: e.PARLEY_S3_BUCKET,
    region: e.PARLEY_S3_REGION,
    endpoint: e.PARLEY_S3_ENDPOINT,
    forcePathStyle: e.PARLEY_S3_FORCE_PATH_STYLE === 'true',
    partBytes: e.PARLEY_S3_PART_BYTES,
    credentials: e.PARLEY_S3_ACCESS_KEY_ID !== undefined && e.PARLEY_S3_SECRET_ACCESS_KEY !== undefined
      ? { accessKeyId: e.PARLEY_S3_ACCESS_KEY_ID, secretAccessKey: e.PARLEY_S3_SECRET_ACCESS_KEY } : undefined,
  };
}
