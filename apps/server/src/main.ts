import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { userTopic, wrappedTopic } from './bus/bus.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { NatsBus } from './bus/nats-bus.ts';
import { isLoopbackHost, loadConfig, type Config } from './config.ts';
import { Accounts } from './domain/accounts.ts';
import { Challenges } from './domain/challenges.ts';
import { Chats } from './domain/chats.ts';
import { Communities } from './domain/communities/communities.ts';
import { CommunityChats } from './domain/communities/community-chats.ts';
import { CommunityInvites } from './domain/communities/community-invites.ts';
import { JoinRequests } from './domain/communities/join-requests.ts';
import { Moderation } from './domain/communities/moderation.ts';
import { Bots } from './domain/bots/bots.ts';
import { Channels } from './domain/channels/channels.ts';
import { ChannelSchedule } from './domain/channels/schedule.ts';
import { ChannelWraps } from './domain/channels/wrapped.ts';
import { WrappedResponses } from './domain/channels/wrapped-responses.ts';
import { WrappedComments } from './domain/channels/wrapped-comments.ts';
import { WrappedViews } from './domain/channels/wrapped-views.ts';
import { ChannelViews } from './domain/channels/channel-views.ts';
import { WrappedPolls } from './domain/channels/wrapped-polls.ts';
import { ChannelPolls } from './domain/channels/channel-polls.ts';
import { VoteNotices } from './domain/channels/vote-notices.ts';
import { WrappedReads } from './domain/channels/wrapped-reads.ts';
import { WrappedSchedule } from './domain/channels/wrapped-schedule.ts';
import { MlsSchedule } from './domain/channels/mls-schedule.ts';
import { ChannelDiscussions } from './domain/channels/discussion.ts';
import { Requests } from './domain/requests.ts';
import { Delivery } from './domain/delivery.ts';
import { Files } from './domain/files/files.ts';
import { announceDeviceAdded } from './domain/device-alerts.ts';
import { DeviceLinks } from './domain/device-links.ts';
import { Invites } from './domain/invites.ts';
import { KeyLog } from './domain/key-log.ts';
import { CommitChecks } from './domain/mls/commit-checks.ts';
import { Mls } from './domain/mls/mls.ts';
import { Passkeys } from './domain/passkeys.ts';
import { cryptoRandom, systemClock, type Clock, type Random } from './domain/ports.ts';
import { PushNotifier, PushSubscriptions, type PushSender } from './domain/push.ts';
import { PushEndpointPolicy, type HostResolver } from './domain/push-endpoint-policy.ts';
import { TokenSigner } from './domain/secrets.ts';
import { buildHttp, type HttpRoute } from './http/app.ts';
import { startMetricsListener } from './http/metrics-listener.ts';
import { ServerMetrics } from './metrics.ts';
import { systemResolver } from './push/dns-resolver.ts';
import { LinkPreviews } from './domain/link-previews.ts';
import { Calls } from './domain/calls.ts';
import { CallRinger } from './domain/call-ringer.ts';
import { GroupCalls } from './domain/group-calls.ts';
import { JanusSfu } from './sfu/janus.ts';
import { HttpPageFetcher } from './previews/http-fetcher.ts';
import { generateVapidKeys, WebPushSender, type VapidKeys } from './push/web-push-sender.ts';
import { Gateway } from './realtime/gateway.ts';
import { Hub } from './realtime/hub.ts';
import type { Services } from './services.ts';
import { openStores } from './storage/open-stores.ts';
import { ChannelAdminsGroup } from './domain/channels/admins-group.ts';
import type { BlobBytes } from './blob-store/blob-bytes.ts';
import { DiskBlobBytes } from './blob-store/disk-blob-bytes.ts';
import { S3BlobBytes } from './blob-store/s3-blob-bytes.ts';
import { UploadLocker } from './blob-store/upload-locker.ts';
import { startHostedBots, type HostedBots } from './bot-hosting/hosted-bots.ts';

export interface RunningServer {
  /** http://host:port */
  url: string;
  port: number;
  /** The port of the listener serving only /metrics (PARLEY_METRICS_LISTEN); undefined when unset. */
  metricsPort: number | undefined;
  config: Config;
  services: Services;
  gateway: Gateway;
  metrics: ServerMetrics;
  /** Every HTTP route this node serves (method and url pattern), as Fastify registered them. */
  routes: readonly HttpRoute[];
  /** R129: the bot gateways this node runs for the operator's hosted bots (PARLEY_HOSTED_BOTS). */
  hostedBots: HostedBots;
  /**
   * Graceful stop (SIGTERM): /readyz turns 503, no new connections, every client is told to
   * reconnect elsewhere (4010), accepted sends are committed, then storage and bus close.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Replaces the Web Push sender. */
  pushSender?: PushSender;
  /** Replaces the system's DNS for push endpoints (R37) and link previews (R45); tests map names to local addresses. */
  hostResolver?: HostResolver;
  /** Certificates trusted for push services instead of the system's (tests: a local one's self-signed certificate). */
  pushCa?: string | Buffer;
}

/** The composition root: the one place that knows every concrete class. */
export async function startParley(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  const onError = (err: unknown, context: Record<string, unknown>) => logger.error({ err, ...context }, 'background error');
  const metrics = new ServerMetrics(config.nodeId);

  const { storage, links, communityStore, moderationStore, botStore, channelStore, channelScheduleStore, channelWrapStore, wrappedResponseStore, wrappedCommentStore, wrappedViewStore, channelViewStore, wrappedVoteStore, channelVoteStore, wrappedReadStore, wrappedScheduleStore, mlsScheduleStore, joinRequestStore, limiter, blobs, uploadLeases } = await openStores(config, { clock, logger, metrics, onError });
  // R53-R56: blob bytes on disk (one node) or in an S3-compatible bucket (a cluster).
  const blobBytes: BlobBytes = config.blobStore.kind === 's3'
    ? new S3BlobBytes(config.blobStore)
    : await DiskBlobBytes.open(config.blobStore.dir, config.files.unreferencedTtlMs);
  if (config.databaseUrl && config.blobStore.kind === 'disk') {
    logger.warn({ dir: config.blobStore.dir }, 'blobs are on this node\'s disk: in a cluster every node must share that folder, or use PARLEY_BLOB_STORE=s3 (docs/OPERATIONS.md)');
  }
  const files = new Files({
    blobs, bytes: blobBytes, clock, random, limiter, limits: config.files,
    onOrphan: (blobId, err) => logger.error({ err, blobId }, 'blob bytes could not be removed from the store (nothing serves them any more)'),
  });
  const bus: Bus = config.natsUrl
    ? await NatsBus.connect({ servers: config.natsUrl, prefix: config.natsPrefix, name: config.nodeId, onError: (err) => onError(err, { part: 'nats bus' }) })
    : new MemoryBus();
  const hub = new Hub(bus, (message, listeners) => {
    metrics.deliveries.inc(listeners);
    metrics.deliverySeconds.observe(Math.max(0, clock.now() - message.sentAt) / 1000);
  });
  bus.servePresence((userId) => [...hub.onlineDevices(userId)]);
  bus.onResync(() => {
    logger.warn('bus reconnected: every connection resyncs its chats');
    hub.resyncAll();
  });
  // Shared by every node through the database; an older single node's key files seed them.
  const tokens = new TokenSigner(await storage.getOrCreateSecret('token-signing-key', readIfExists(join(config.dataDir, 'secret.key')) ?? random.bytes(32)));
  const vapid = JSON.parse(Buffer.from(await storage.getOrCreateSecret('vapid-keys',
    readIfExists(join(config.dataDir, 'vapid.json')) ?? Buffer.from(JSON.stringify(generateVapidKeys())))).toString('utf8')) as VapidKeys;
  const challenges = new Challenges({ tokens, storage, clock });
  const pushSender = opts.pushSender ? undefined : new WebPushSender(vapid, config.vapidSubject, opts.pushCa !== undefined ? { ca: opts.pushCa } : {});
  const push = opts.pushSender ?? pushSender!;
  // R37: pushes go only to https URLs of public hosts (or the operator's allowed networks), checked
  // at subscribe time and again before each push.
  const pushPolicy = new PushEndpointPolicy({
    resolver: opts.hostResolver ?? systemResolver,
    allowedHosts: config.push.allowedHosts,
    allowPrivateNetworks: config.push.allowPrivateNetworks,
  });

  const calls = new Calls({ turn: config.turn, limiter, requireMember: (chatId, userId) => chats.requireMember(chatId, userId), now: () => clock.now() });
  // R62: group calls through Janus; rooms, tokens and publisher ids derive from the admin secret, the same on every node.
  const sfu = config.sfu;
  const groupCalls = new GroupCalls({
    sfu: sfu && new JanusSfu({ adminUrl: sfu.adminUrl, adminSecret: sfu.adminSecret, roomAdminKey: sfu.roomAdminKey }),
    url: sfu?.url ?? '', key: `parley-sfu-v1:${sfu?.adminSecret ?? ''}`,
    maxParticipants: sfu?.maxParticipants ?? 0, tokenTtlMs: sfu?.tokenTtlMs ?? 1, perHour: sfu?.perHour ?? 0,
    storage, limiter, clock,
    iceServers: async (auth, chatId) => (calls.turnEnabled ? (await calls.turnCredentials(auth, chatId)).iceServers : []),
  });
  if (!sfu) logger.info('group calls are off: run Janus and set PARLEY_JANUS_URL, PARLEY_JANUS_ADMIN_URL, PARLEY_JANUS_ADMIN_SECRET, PARLEY_JANUS_ROOM_ADMIN_KEY (docs/OPERATIONS.md, "Group calls: Janus")');
  // Leaving a call room is the fast path; the sweep below catches up whatever fails here.
  const dropFromCalls = async (what: Promise<void>, context: Record<string, unknown>) => {
    try {
      await what;
    } catch (err) {
      onError(err, { part: 'group call drop', ...context });
    }
  };

  const accounts: Accounts = new Accounts({
    storage, clock, random, challenges, limiter,
    sessionTtlMs: config.sessionTtlMs,
    signupPerHour: config.rates.signupPerHour,
    loginPerMin: config.rates.loginPerMin,
    devicesPerDay: config.rates.devicesPerDay,
    onDeviceRevoked: async (userId, deviceId) => {
      await bus.publish(userTopic(userId), { type: 'device_revoked', deviceId });
      await chats.devicesChanged(userId);
      await dropFromCalls(groupCalls.deviceRevoked(userId, deviceId), { deviceId });
      await channelWraps.deviceRevoked(userId, deviceId); // R146
    },
    onDeviceAdded: (userId, deviceId) => deviceAdded(userId, deviceId),
    onlineDevices: (userId) => bus.onlineDevices(userId),
    isBot: (userId): Promise<boolean> => bots.isBot(userId),
    botsOnServer: (userIds) => bots.hostedAmong(userIds),
    botAvatars: (userIds) => botStore.avatarsAmong(userIds),
  });
  // Any path that adds a device (recovery, passkey, link approval): MLS groups re-check, login alert (R27).
  const deviceAdded = async (userId: string, deviceId: string) => {
    await chats.devicesChanged(userId);
    await announceDeviceAdded({ storage, bus }, userId, deviceId);
  };
  const deviceLinks = new DeviceLinks({
    storage, links, bus, clock, random, limiter, limits: config.deviceLink, onDeviceAdded: deviceAdded, keyedHash: (value) => tokens.digest(value),
    checkDeviceAddRate: (userId) => accounts.checkDeviceAddRate(userId),
  });
  const passkeys = new Passkeys({
    storage, accounts, clock, random, challenges, rpId: config.rpId, origin: config.origin,
    limiter, addsPerDay: config.rates.passkeyAddsPerDay,
    onRefused: (err, context) => logger.info({ err, ...context }, 'passkey refused'),
  });
  // R90-R92: bots are accounts with an owner; the chat rules and delivery ask them about bots.
  const bots: Bots = new Bots({
    storage, bots: botStore, blobs, clock, random, limiter, limits: config.bots,
    // R143: an avatar's first bytes, to check it is the image it claims to be.
    head: async (blobId, n) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await blobBytes.read(blobId, 0, n - 1)) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    },
    addDevice: (userId, device) => accounts.addDevice(userId, device),
    revokeDevice: (userId, deviceId) => accounts.revokeDevice({ userId, deviceId }, deviceId),
  });
  const requests: Requests = new Requests({
    storage, bus, clock, random, limiter, limits: config.consent, botsAmong: (userIds) => bots.botsAmong(userIds),
    join: (auth, chatId): Promise<void> => chats.join(auth, chatId, auth.userId, { kind: 'member_joined', userId: auth.userId }),
  });
  const chats: Chats = new Chats({
    storage, bus, clock, random, limiter, rates: config.rates, maxGroupMembers: config.limits.maxGroupMembers, largeChatMembers: config.limits.largeChatMembers, requests, consent: config.consent,
    // A page's frame takes at most a quarter of the connection's send buffer (R40).
    chatPage: { max: config.limits.chatPageMax, bytes: Math.floor(config.limits.wsBufferBytes / 4) },
    communities: { chatCommunity: (chatId, userId) => moderation.chatCommunity(chatId, userId), checkDirect: (userId, otherId) => communities.checkDirect(userId, otherId),
      hiddenHandles: (chatId, viewerId) => communities.hiddenHandles(chatId, viewerId) },
    onMemberRemoved: (chatId, userId) => dropFromCalls(groupCalls.memberRemoved(chatId, userId), { chatId }),
    isBot: (userId) => bots.isBot(userId),
    botsAmong: (userIds) => bots.botsAmong(userIds),
    botsOnServer: (userIds) => bots.hostedAmong(userIds),
    botAvatars: (userIds) => botStore.avatarsAmong(userIds),
  });
  // R66-R75: communities stand on chats (their chats are groups) and tell chats and delivery their rules.
  const communities: Communities = new Communities({
    storage, communities: communityStore, chats, bus, clock, random, limits: config.communities,
    onWrappedLeave: async (communityId, userId, at) => {
      await channelWraps.left(communityId, userId, at); // R142: a new epoch next, and their devices' wraps go
      await wrappedReads.left(communityId, userId); // R182
    },
    onAnnouncerChanged: (auth, communityId, userId, now) => channelAdmins.announcerChanged(auth, communityId, userId, now), // R171
  });
  const communityChats = new CommunityChats({
    storage, communities: communityStore, community: communities, chats, bus, clock, limits: config.communities,
    moderation: moderationStore, maxSlowModeMs: config.moderation.maxSlowModeMs,
  });
  // R80-R86: moderation; what needs no content is enforced here (mutes, slow mode, reports' proofs).
  const moderation: Moderation = new Moderation({
    storage, communities: communityStore, moderation: moderationStore, community: communities, bus, clock, random, limiter, limits: config.moderation,
  });
  // R141-R142, R148-R149: private channels past the MLS size.
  const channelWraps = new ChannelWraps({
    storage, communities: communityStore, wraps: channelWrapStore, clock, limits: config.channelWraps, bus, limiter, blobs,
    moderators: (communityId) => moderationStore.listModerators(communityId), responses: wrappedResponseStore, votes: wrappedVoteStore, // R185: a leaver's votes go
    reconcileAdmins: (auth, communityId) => channelAdmins.reconcile(auth, communityId), // R178
  });
  // R185: a poll's counts changed: one notice per poll per PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS on this node.
  const voteNotices = new VoteNotices((e) => bus.publish(wrappedTopic(e.communityId), e), config.channelWraps.voteNoticeMs, onError);
  // R182: wrapped channels' unread counts and mute.
  const wrappedReads = new WrappedReads({ communities: communityStore, reads: wrappedReadStore });
  // R170-R171: a wrapped channel's announcements chat is its admins' MLS group, which carries each epoch key.
  const channelAdmins = new ChannelAdminsGroup({
    storage, communities: communityStore, chats, wraps: channelWrapStore, clock, moderators: (communityId) => moderationStore.listModerators(communityId),
    mirrorRole: (auth, communityId, chatId, userId, role) => communities.mirrorRole(auth, communityId, chatId, userId, role),
  });
  const communityInvites = new CommunityInvites({
    communities: communityStore, community: communities, chats: communityChats, clock, random, limiter, limits: config.communities,
    ttlMs: config.inviteTtlMs, invitesPerHour: config.rates.invitesPerHour, wrapLimits: config.channelWraps,
    onWrappedJoin: async (communityId, userId) => {
      await wrappedReads.joined(communityId, userId); // R182: nothing unread on coming in
      await channelWraps.joined(communityId, userId);
    },
  });
  const notifier = new PushNotifier({
    storage, sender: push, clock, limiter, minIntervalMs: config.pushMinIntervalMs, onError,
    policy: pushPolicy, maxPerDevice: config.push.maxSubscriptionsPerDevice,
    onRefused: (detail, context) => logger.warn({ detail, ...context }, 'push endpoint refused before a push (R37)'),
    isUserOnline: async (userId) => (await bus.onlineDevices(userId)).size > 0,
  });
  const delivery = new Delivery({
    storage, bus, chats, clock, limiter, limits: config.limits, rates: config.rates, files,
    checkPost: (userId, chatId) => communities.checkPost(userId, chatId),
    checkSend: async (userId, chatId, clientMsgId) => {
      await bots.checkSend(userId); // R92
      await moderation.checkSend(userId, chatId, clientMsgId);
    },
    frankable: (chatId) => moderation.frankable(chatId),
    onCommitted: (message, { quiet }) => {
      metrics.messagesIn.inc();
      if (!quiet) notifier.notify(message); // R178: a quiet send (an epoch key for admins' devices, R170) wakes no one
    },
  });
  const channelPolls = new ChannelPolls({ channels: channelStore, votes: channelVoteStore, limits: config.channels, limiter });
  const services: Services = {
    storage, accounts, passkeys, deviceLinks, chats, delivery, limiter, push, requests, bots,
    invites: new Invites({ storage, chats, clock, random, ttlMs: config.inviteTtlMs, limiter, invitesPerHour: config.rates.invitesPerHour }),
    communities,
    communityChats,
    moderation,
    // R95-R99: a post is stored once; subscribers' connections hear a notice on `channel.<id>`.
    channels: new Channels({ storage, channels: channelStore, bus, clock, limiter, limits: config.channels, blobs, maxFileBytes: config.files.maxFileBytes }),
    channelWraps,
    // R166-R167: reactions to wrapped posts (tokens, not emoji) and admins' deletions.
    wrappedResponses: new WrappedResponses({ communities: communityStore, responses: wrappedResponseStore, views: wrappedViewStore, limits: config.channelWraps, limiter, bus }),
    // R183: view counters of wrapped posts (R98's limits), read out with the reaction counts.
    wrappedViews: new WrappedViews({ communities: communityStore, views: wrappedViewStore, limiter, clock, limits: config.channels }),
    channelViews: new ChannelViews({ communities: communityStore, views: channelViewStore, limiter, clock, limits: config.channels }), // R190
    // R177: comment counts of wrapped posts, as marks from the discussion chat's members.
    wrappedComments: new WrappedComments({
      storage, communities: communityStore, comments: wrappedCommentStore, posts: wrappedResponseStore, links: channelScheduleStore, limits: config.channelWraps, limiter, clock,
    }),
    // R185: votes on wrapped polls, as tokens.
    wrappedPolls: new WrappedPolls({ communities: communityStore, votes: wrappedVoteStore, posts: wrappedResponseStore, limits: config.channelWraps, limiter, notices: voteNotices }),
    channelPolls, // R198: votes on public polls, by option index
    wrappedReads,
    // R115: scheduled posts, published by a sweep on every node (below).
    channelSchedule: new ChannelSchedule({
      channels: channelStore, schedule: channelScheduleStore, bus, clock, limiter, limits: config.channels, scheduleLimits: config.channelSchedule,
      blobs, maxFileBytes: config.files.maxFileBytes,
      onDropped: (row, why) => logger.warn({ channelId: row.channelId, postId: row.postId, why }, 'scheduled channel post dropped'),
    }),
    // R188: scheduled posts of wrapped channels, published through R142's path by the sweep below.
    wrappedSchedule: new WrappedSchedule({
      communities: communityStore, wraps: channelWrapStore, schedule: wrappedScheduleStore, channelWraps, clock,
      scheduleLimits: config.channelSchedule, wrapLimits: config.channelWraps, blobs,
      onDropped: (row, why) => logger.warn({ communityId: row.communityId, scheduleId: row.scheduleId, why }, 'scheduled wrapped post dropped'),
    }),
    // R191: scheduled posts of MLS-mode channels, appended to the announcements chat's log by the sweep below.
    mlsSchedule: new MlsSchedule({
      communities: communityStore, storage, schedule: mlsScheduleStore, delivery, clock, scheduleLimits: config.channelSchedule, limits: config.limits,
      onDropped: (row, why) => logger.warn({ communityId: row.communityId, scheduleId: row.scheduleId, why }, 'scheduled channel post dropped (MLS mode)'),
    }),
    // R114: comments live in a community's open chat, end-to-end encrypted; the server keeps the link.
    channelDiscussions: new ChannelDiscussions({
      channels: channelStore, links: channelScheduleStore, communities: communityStore, community: communities, communityChats, invites: communityInvites, clock,
    }),
    communityInvites,
    // R100-R101: requests to join through links that need an admin's approval.
    joinRequests: new JoinRequests({
      storage, communities: communityStore, joinRequests: joinRequestStore, moderation: moderationStore, community: communities, invites: communityInvites,
      chats, bus, clock, random, limiter, limits: config.joinRequests,
    }),
    pushSubscriptions: new PushSubscriptions({ storage, clock, policy: pushPolicy, maxPerDevice: config.push.maxSubscriptionsPerDevice }),
    // R45: the same address rule as pushes (public only), with its own operator exceptions.
    linkPreviews: new LinkPreviews({
      fetcher: new HttpPageFetcher(),
      resolver: opts.hostResolver ?? systemResolver,
      addresses: new PushEndpointPolicy({ resolver: opts.hostResolver ?? systemResolver, allowedHosts: [], allowPrivateNetworks: config.previews.allowPrivateNetworks }),
      limiter,
      limits: config.previews,
    }),
    calls,
    groupCalls,
    // R118/R124: a ringing call (1:1, or a small group's) wakes the others' closed apps with a push that names no one.
    callRinger: new CallRinger({
      storage, sender: push, clock, policy: pushPolicy, limiter, onError, maxPerDevice: config.push.maxSubscriptionsPerDevice,
      requireMember: (chatId, userId) => chats.requireMember(chatId, userId),
      onlineDevices: (userId) => bus.onlineDevices(userId),
      ringMs: config.push.callRingMs, ringRequestsPerMin: config.push.callRingRequestsPerMin, pushesPerMin: config.push.callPushesPerMin, ringMaxMembers: config.push.callRingMaxMembers,
      onRefused: (detail, context) => logger.warn({ detail, ...context }, 'push endpoint refused before a call push (R37)'),
    }),
    mls: new Mls({
      storage, delivery, clock, limiter, rates: config.rates, keyPackageMaxAgeMs: config.keyPackageMaxAgeMs, claimsPerTargetPerHour: config.mls.claimsPerTargetPerHour,
      joinStateTtlMs: config.mls.joinStateTtlMs, requireMember: (chatId, userId) => chats.requireMember(chatId, userId),
      checks: new CommitChecks({ storage, clock, limits: config.mls, keyPackageMaxAgeMs: config.keyPackageMaxAgeMs }),
      onChecked: (seconds, outcome) => metrics.commitCheckSeconds.observe({ outcome }, seconds),
    }),
    keyLog: new KeyLog({ storage, clock }),
    files,
    blobBytes,
    uploadLocker: new UploadLocker({ leases: uploadLeases, bus, clock: () => clock.now(), onError: (err) => onError(err, { part: 'upload lock' }) }),
  };

  let draining = false;
  const { app, routes } = await buildHttp(config, services, logger, {
    metrics,
    ready: async () => {
      if (draining) return 'draining';
      await storage.getChat('readyz_probe');
      return bus.connected() ? 'ok' : 'bus disconnected';
    },
  });
  const gateway = new Gateway(app.server, services, hub, {
    maxFrameBytes: config.limits.maxFrameBytes,
    bufferBytes: config.limits.wsBufferBytes,
    framesPerSec: config.limits.wsFramesPerSec,
    authTimeoutMs: config.authTimeoutMs,
    membersSettleMs: config.membersSettleMs,
    pingIntervalMs: config.wsPingIntervalMs,
    onError,
    metrics,
  });
  metrics.watch({ connections: () => gateway.connections, busTopics: () => hub.topicCount, commitQueue: () => delivery.commitQueue });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const metricsListener = config.metricsListen ? await startMetricsListener(metrics, config.metricsListen, logger) : undefined;
  logger.info({ port, metricsPort: metricsListener?.port, node: config.nodeId, storage: config.databaseUrl ? 'postgres' : 'sqlite', bus: config.natsUrl ? 'nats' : 'memory' }, 'parley listening');
  if (!metricsListener && !isLoopbackHost(config.host)) {
    logger.warn(`/metrics is public: it is served on the main listener (HOST=${config.host}). Move it to a listener of its own with PARLEY_METRICS_LISTEN=127.0.0.1:9464 (docs/OPERATIONS.md)`);
  }

  // R56: each node sweeps; deleting a blob is one conditional row delete, so nodes never collide.
  const sweep = async () => {
    try {
      const { deleted, freedBytes } = await files.sweep();
      if (deleted > 0) logger.info({ deleted, freedBytes }, 'blob sweep');
    } catch (err) {
      onError(err, { part: 'blob sweep' });
    }
  };
  const sweepTimer = config.files.gcIntervalMs > 0 ? setInterval(() => void sweep(), config.files.gcIntervalMs) : undefined;
  sweepTimer?.unref();
  // R62: each node sweeps the SFU; every step is idempotent.
  const sfuSweep = async () => {
    try {
      const result = await groupCalls.sweep();
      if (result.tokensRemoved + result.kicked + result.roomsDestroyed > 0) logger.info(result, 'group call sweep');
    } catch (err) {
      onError(err, { part: 'group call sweep' });
    }
  };
  const sfuSweepTimer = sfu ? setInterval(() => void sfuSweep(), sfu.sweepIntervalMs) : undefined;
  sfuSweepTimer?.unref();
  // R84b: reported texts are kept only PARLEY_REPORT_RETENTION_MS; one DELETE, so nodes never collide.
  const reportSweep = async () => {
    try {
      const deleted = await moderation.sweepReports(config.moderation.reportRetentionMs);
      if (deleted > 0) logger.info({ deleted }, 'report sweep');
    } catch (err) {
      onError(err, { part: 'report sweep' });
    }
  };
  const { reportRetentionMs, reportSweepIntervalMs } = config.moderation;
  const reportSweepTimer = reportRetentionMs > 0 && reportSweepIntervalMs > 0 ? setInterval(() => void reportSweep(), reportSweepIntervalMs) : undefined;
  reportSweepTimer?.unref();
  // R115: scheduled channel posts whose time has come; publishing one twice is impossible (its post id).
  const channelScheduleSweep = async () => {
    try {
      const result = await services.channelSchedule.sweep();
      if (result.published + result.dropped > 0) logger.info(result, 'channel schedule sweep');
    } catch (err) {
      onError(err, { part: 'channel schedule sweep' });
    }
    // R188: wrapped channels' scheduled posts, on the same timer; the append deletes each one's row, so nodes publish it once.
    try {
      const result = await services.wrappedSchedule.sweep();
      if (result.published + result.dropped > 0) logger.info(result, 'wrapped channel schedule sweep');
    } catch (err) {
      onError(err, { part: 'wrapped channel schedule sweep' });
    }
    // R191: MLS-mode channels' scheduled posts; the append checks the chat's epoch and deletes the row in one transaction.
    try {
      const result = await services.mlsSchedule.sweep();
      if (result.published + result.dropped > 0) logger.info(result, 'MLS channel schedule sweep');
    } catch (err) {
      onError(err, { part: 'MLS channel schedule sweep' });
    }
  };
  const channelScheduleTimer = config.channelSchedule.sweepMs > 0 ? setInterval(() => void channelScheduleSweep(), config.channelSchedule.sweepMs) : undefined;
  channelScheduleTimer?.unref();

  // R129: the gateways of the bots this server's operator hosts, clients of this server like any other.
  const hostedBots = startHostedBots({
    server: `http://${['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    dataDir: config.dataDir, bots: config.hostedBots, logger, markHosted: (botUserId, deviceId) => bots.markHosted(botUserId, deviceId),
  });

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsPort: metricsListener?.port,
    config,
    services,
    gateway,
    metrics,
    routes,
    hostedBots,
    async close() {
      if (closed) return;
      closed = true;
      await hostedBots.close();
      draining = true;
      clearInterval(sweepTimer);
      clearInterval(sfuSweepTimer);
      clearInterval(reportSweepTimer);
      clearInterval(channelScheduleTimer);
      voteNotices.stop();
      await gateway.close();
      await app.close();
      await Promise.race([delivery.drain(), new Promise((r) => setTimeout(r, config.drainTimeoutMs).unref())]);
      // Scrapable until the drain is over, so the commit queue can be watched emptying.
      await metricsListener?.close();
      await bus.close();
      await storage.close();
      if (blobBytes instanceof S3BlobBytes) blobBytes.close();
      pushSender?.close();
    },
  };
}

function readIfExists(path: string): Uint8Array | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

/** Default location of the built web client: apps/web/dist beside this app. */
export function defaultWebDist(): string {
  return resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let server: RunningServer;
  try {
    const config = loadConfig();
    config.webDist ??= defaultWebDist();
    server = await startParley(config);
  } catch (err) {
    // Bad config, an unreachable database or NATS, a schema newer than this release: say why, in one line.
    console.error(`parley: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const stop = async () => {
    await server.close();
    process.exit(0);
  };

  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
