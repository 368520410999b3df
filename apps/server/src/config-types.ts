/** The config object's types (config.ts reads and checks the environment into them). */
import type { LinkPreviewLimits } from './domain/link-previews.ts';

/** A TCP listen address: `host:port` or `[ipv6]:port`. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** R129: a bot the operator hosts: its token (the bot code uses the same one) and where its Bot APIs listen. */
export interface HostedBotConfig {
  token: string;
  listen: ListenAddress;
}

export interface Limits {
  /** Largest envelope (content type + base64 payload), bytes. */
  maxEnvelopeBytes: number;
  /** Largest commit envelope (content type + base64 payload), bytes. */
  maxCommitBytes: number;
  /** Largest WebSocket frame, bytes: the envelope plus framing. */
  maxFrameBytes: number;
  maxGroupMembers: number;
  /** R117: groups of more than this many members hear joins and leaves as `members` frames. */
  largeChatMembers: number;
  historyPageMax: number;
  /** R40: chats in one page of the chat list, at most. */
  chatPageMax: number;
  /** A connection whose unsent bytes exceed this is closed (slow consumer) and resyncs later. */
  wsBufferBytes: number;
  /** Frames per second one connection may send (burst 10x); over it, the node stops reading it for a moment. */
  wsFramesPerSec: number;
  maxHttpBodyBytes: number;
}

export interface RateLimits {
  /** Sends per device: sustained rate and burst (token bucket). */
  sendPerSec: number;
  sendBurst: number;
  /** Account creations per client IP per hour. */
  signupPerHour: number;
  /** Login attempts (device, passkey, recovery) per client IP per minute. */
  loginPerMin: number;
  /** Other REST calls per device per second (burst = 5x). */
  apiPerSec: number;
  /** History frames per device: one token per 100 messages asked for (a page of up to 100 costs one). */
  historyPerSec: number;
  historyBurst: number;
  /** Receipt frames per device (each change is an event to every member's devices, R8). */
  receiptPerSec: number;
  receiptBurst: number;
  /** Typing frames per device (burst 2x). */
  typingPerSec: number;
  /** Commits per device per chat that the server checks (R35) and may order (burst: the same number). */
  commitPerMin: number;
  /**
   * Membership and look changes per chat: members added or joining, roles, name, colour (burst: the
   * same number). Removals and leaving are never limited: each undoes an add.
   */
  memberChangesPerMin: number;
  /** R29 rejoin requests per device per chat (burst: the same number). */
  rejoinPerHour: number;
  /** Invite links created per user (burst: the same number). */
  invitesPerHour: number;
  /** Chats created per user: groups and new direct chats (burst: the same number). */
  chatsPerHour: number;
  /** Devices added to one account, by any path (burst: the same number). Revoking is never limited. */
  devicesPerDay: number;
  /** Passkeys a signed-in account adds per day (R46; burst: the same number). */
  passkeyAddsPerDay: number;
}

/** Linking a new device from a signed-in one (R23-R26). */
export interface DeviceLinkLimits {
  /** How long a link request waits for approval. */
  ttlMs: number;
  /** Wrong codes per request before it is locked. */
  maxAttempts: number;
  /** Unexpired pending requests per account. */
  maxPending: number;
  /** Link requests per source (client IPv4 address or IPv6 /64) per hour, to any account. */
  requestsPerHour: number;
  /** Link requests per source to one account per hour (R43). */
  perAccountPerHour: number;
  /** What a sign-in prompt shows of the request's origin (R43). */
  originHint: 'none' | 'ip-prefix' | 'ip';
  /** Status polls per client IP per second (burst 10x). */
  pollPerSec: number;
}

/** Where Web Push may go (R37). */
export interface PushPolicy {
  /** Subscriptions kept per device; a new one beyond it replaces the device's oldest. */
  maxSubscriptionsPerDevice: number;
  /** Push service hosts allowed (exact, or `*.example.com`); empty: any host whose addresses are all public. */
  allowedHosts: string[];
  /** DANGEROUS: CIDRs whose addresses are allowed though not public (a push service on the operator's network, tests). */
  allowPrivateNetworks: string[];
  /** R118: how long a call's push rings (its TTL at the push service and its `until`). */
  callRingMs: number;
  /** R118: ring requests (POST /calls/ring) per caller device per minute. */
  callRingRequestsPerMin: number;
  /** R118: call pushes per callee per minute (all their devices count as one). */
  callPushesPerMin: number;
  /** R124: a group call rings only in groups of at most this many members. */
  callRingMaxMembers: number;
}

/** The MLS delivery service's commit checks (R35, R36) and key package claims (R41). */
export interface MlsLimits {
  /** Claims naming one user per hour (from any claimer) that may consume their one-time key packages. */
  claimsPerTargetPerHour: number;
  /** A chat's group may be started again (reset) at most once per this many ms. */
  resetIntervalMs: number;
  /** Decoded public group states kept per node, by the size of their encoding. */
  stateCacheBytes: number;
  /** R35b: how long a state a Welcome led to stays readable for the devices it added. */
  joinStateTtlMs: number;
  /** R36b: the fewest devices a start that leaves some out must add (the first in order). */
  startMinAdds: number;
}

/** R73: how big communities grow. */
export interface CommunityLimits {
  maxPerUser: number;
  maxChats: number;
  maxMembers: number;
  /** R117: a community of more than this many members tells no one of a join or leave (PARLEY_LARGE_CHAT_MEMBERS). */
  largeMembers: number;
}

/** R82, R84: moderation's limits. */
export interface ModerationLimits {
  /** The longest a mute may last. */
  maxMuteMs: number;
  /** The longest slow mode interval a chat may have. */
  maxSlowModeMs: number;
  /** Reports one user may file per hour (0: unlimited). */
  reportsPerHour: number;
  /** Reports in one page of a community's list. */
  reportsPageMax: number;
  /** R84b: a report is deleted this long after it was resolved (or filed, if open); 0 keeps them. */
  reportRetentionMs: number;
  /** R84b: how often each node sweeps reports past retention; 0: never. */
  reportSweepIntervalMs: number;
}

/** R90-R92: bots. */
export interface BotLimits {
  /** Bots one person may own (deleted ones do not count). */
  maxPerOwner: number;
  /** R92: messages one bot may send per second (all its devices together, all chats), refilled steadily; 0: unlimited. */
  sendPerSec: number;
  /** R92: how many it may send at once before that rate applies. */
  sendBurst: number;
  /** R143: the largest avatar, in bytes (PARLEY_BOT_AVATAR_MAX_BYTES). */
  avatarMaxBytes: number;
}

/** R95-R99: public channels' limits (docs/OPERATIONS.md, "Channels"). */
export interface ChannelLimits {
  maxPostChars: number;
  postsPerHour: number;
  maxAdmins: number;
  maxSubscriptionsPerUser: number;
  pageMax: number;
  maxDateSkewMs: number;
  viewBucketMs: number;
  viewReportsPerMin: number;
  /** R96: posts pinned at once in one channel (PARLEY_CHANNEL_MAX_PINS). */
  maxPins: number;
  publicPerMin: number;
  publicPosts: number;
  /** R110: files one post names, and the largest (bytes). */
  maxAttachments: number;
  maxAttachmentBytes: number;
  /** R110: public media requests per minute from one IP address. */
  mediaPerMin: number;
  /** R111: handle searches per minute from one user, and results in one page. */
  searchPerMin: number;
  searchPageMax: number;
  /** R198: votes on public polls per minute from one user. */
  votesPerMin: number;
}

/** R100-R101: requests to join a community through a link that needs approval. */
export interface JoinRequestLimits {
  /** The longest note (characters). */
  maxNoteChars: number;
  /** Pending requests one community keeps (`join_requests_full` beyond); also the admins' list size. */
  maxPendingPerCommunity: number;
  /** Requests one user may make per hour. */
  perHour: number;
}

/** R44: consent to being put into a chat, and caps on chats. */
export interface ConsentLimits {
  /** Adds and direct chats from people who share no chat with the person become requests. */
  required: boolean;
  /** Open requests a person keeps; more get `requests_full`. */
  maxPendingPerUser: number;
  /** Requests one user may send per day (each person asked counts). */
  requestsPerDay: number;
  /** A request not answered in this long is gone. */
  requestTtlMs: number;
  /** Chats one user may be a member of. */
  maxChatsPerUser: number;
  /**
   * Times a day one user may put one other person into a chat directly (they share a chat); past it
   * that adder's adds of that person are requests. Bounds how fast a co-member fills someone's chats.
   */
  directAddsPerDay: number;
}

/** R53-R56: files. */
export interface FileLimits {
  /** Largest file, plaintext bytes (ServerInfo.limits.maxFileBytes). */
  maxFileBytes: number;
  /** Largest blob (tus Upload-Length): the ciphertext of a file of maxFileBytes in the smallest chunks (R52). */
  maxBlobBytes: number;
  /** Bytes of blobs per account. */
  quotaBytes: number;
  /** Unfinished uploads per device. */
  maxUploadsInFlight: number;
  /** Uploads a device may start per hour (burst: the same). */
  uploadsPerHour: number;
  /** An unreferenced blob or unfinished upload is deleted this long after its last write. */
  unreferencedTtlMs: number;
  /** The sweep's period; 0: it does not run by itself. */
  gcIntervalMs: number;
  /** An upload request idle this long (no byte received) is closed; 0: never. */
  idleTimeoutMs: number;
}

/** Where blob bytes live. */
export type BlobStoreConfig =
  | { kind: 'disk'; dir: string }
  | {
    kind: 's3'; bucket: string; region: string; endpoint: string | undefined; forcePathStyle: boolean; partBytes: number;
    /** Unset: the AWS SDK's default credential chain (environment, instance role…). */
    credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  };

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL URL, or undefined for SQLite in dataDir. */
  databaseUrl: string | undefined;
  pgPoolSize: number;
  natsUrl: string | undefined;
  natsPrefix: string;
  /** Names this node in metrics and logs. */
  nodeId: string;
  /** SIGTERM: how long to wait for accepted sends to commit before closing anyway. */
  drainTimeoutMs: number;
  /**
   * Where the Prometheus scrape endpoint gets a listener of its own; undefined: `/metrics` is
   * served on the public port, as before this setting existed.
   */
  metricsListen: ListenAddress | undefined;
  /** R129: bots whose gateway this server runs (PARLEY_HOSTED_BOTS), each serving the Bot APIs on its address. */
  hostedBots: HostedBotConfig[];
  /** Overrides the shipped migrations folder (staged rollouts, upgrade tests). */
  migrationsDir: string | undefined;
  origin: string;
  rpId: string;
  /** Reverse proxies whose X-Forwarded-For names the client (Fastify's trustProxy); empty: none. */
  trustProxy: string[];
  logLevel: string;
  webDist: string | undefined;
  limits: Limits;
  rates: RateLimits;
  sessionTtlMs: number;
  authTimeoutMs: number;
  /** R137: quiet time after a large group's last `members` frame before a connection hears its member digest again; 0: never. */
  membersSettleMs: number;
  /** WebSocket ping period; a peer that has not answered by the next ping is dropped (dead link). */
  wsPingIntervalMs: number;
  pushMinIntervalMs: number;
  vapidSubject: string;
  push: PushPolicy;
  deviceLink: DeviceLinkLimits;
  /**
   * R14: a claim never hands out a key package uploaded longer ago than this, so what it returns
   * is still within its lifetime when the claimer commits; older ones are deleted.
   */
  keyPackageMaxAgeMs: number;
  mls: MlsLimits;
  /** R42: an invite link's lifetime, and the longest one a creator may choose. */
  inviteTtlMs: number;
  consent: ConsentLimits;
  /** R73: community limits. */
  communities: CommunityLimits;
  moderation: ModerationLimits;
  bots: BotLimits;
  /** R95-R99: public channels. */
  channels: ChannelLimits;
  joinRequests: JoinRequestLimits;
  /** R45: the link preview fetcher. */
  previews: LinkPreviewLimits & { allowPrivateNetworks: string[] };
  /** R60: TURN for calls; undefined where the operator configured none (calls then answer calls_unavailable). */
  turn: TurnConfig | undefined;
  /** R62: Janus for group calls; undefined where the operator configured none (POST /calls/room answers calls_unavailable). */
  sfu: SfuConfig | undefined;
  /** R53-R56: file limits and lifetimes. */
  files: FileLimits;
  blobStore: BlobStoreConfig;
  /** R115: scheduled channel posts. */
  channelSchedule: ChannelScheduleLimits;
  /** R141-R142: private channels in wrapped mode. */
  channelWraps: ChannelWrapLimits;
}

/** R141-R142: private channels past the MLS size. */
export interface ChannelWrapLimits {
  /** Members past which a private channel switches to wrapped mode. */
  mlsMaxSubscribers: number;
  /** Members a wrapped channel holds. */
  maxSubscribers: number;
  /** Wraps per upload, devices per page. */
  batch: number;
  /** Base64 characters of a wrapped post. */
  postMaxChars: number;
  /** R149: the least time between two `wraps_needed` notices a device without a current wrap causes (ms). */
  askEveryMs: number;
  /** R168: base64 characters each file of a post adds to `postMaxChars`. */
  postFileChars: number;
  /** R166: reactions a user sends to wrapped posts a minute. */
  reactionsPerMin: number;
  /** R177: comment marks (added or taken back) a user sends to wrapped posts a minute. */
  commentsPerMin: number;
  /** R185: votes (cast, changed or taken back) a user sends to wrapped polls a minute. */
  votesPerMin: number;
  /** R185: the least time between two notices that one poll's counts changed (ms). */
  voteNoticeMs: number;
  /** R184: posts pinned at once (PARLEY_CHANNEL_MAX_PINS, as public channels'). */
  maxPins: number;
}

/** R115: scheduled posts of public channels. */
export interface ChannelScheduleLimits {
  /** How far ahead a post may be scheduled. */
  maxScheduleMs: number;
  /** Scheduled posts one channel holds at once. */
  maxPerChannel: number;
  /** The publishing sweep's interval on each node (0: this node does not sweep). */
  sweepMs: number;
}

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlMs: number;
  perHour: number;
}

export interface SfuConfig {
  /** Janus's public API URL, handed to clients. */
  url: string;
  adminUrl: string;
  adminSecret: string;
  roomAdminKey: string;
  maxParticipants: number;
  tokenTtlMs: number;
  perHour: number;
  sweepIntervalMs: number;
}
