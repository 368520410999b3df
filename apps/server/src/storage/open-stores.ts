import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../domain/ports.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { ChannelViewStorage } from './channel-view-storage.ts';
import { PostgresChannelViews } from './postgres/postgres-channel-views.ts';
import { SqliteChannelViews } from './sqlite/sqlite-channel-views.ts';
import { MemoryRateLimiter } from '../domain/memory-rate-limiter.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import { SharedRateLimiter } from '../domain/shared-rate-limiter.ts';
import type { DeviceLinkStorage } from './device-link-storage.ts';
import { loadMigrations } from './migrate.ts';
import { PostgresDeviceLinks } from './postgres/postgres-device-links.ts';
import { PostgresStorage } from './postgres/postgres-storage.ts';
import { PostgresTokenBuckets } from './postgres/postgres-token-buckets.ts';
import { SqliteDeviceLinks } from './sqlite/sqlite-device-links.ts';
import type { CommunityStorage } from './community-storage.ts';
import { PostgresCommunities } from './postgres/postgres-communities.ts';
import { SqliteCommunities } from './sqlite/sqlite-communities.ts';
import { PostgresModeration } from './postgres/postgres-moderation.ts';
import { SqliteModeration } from './sqlite/sqlite-moderation.ts';
import { PostgresBots } from './postgres/postgres-bots.ts';
import { SqliteBots } from './sqlite/sqlite-bots.ts';
import type { BotStorage } from './bot-storage.ts';
import { PostgresJoinRequests } from './postgres/postgres-join-requests.ts';
import { SqliteJoinRequests } from './sqlite/sqlite-join-requests.ts';
import type { JoinRequestStorage } from './join-request-storage.ts';
import type { ModerationStorage } from './moderation-storage.ts';
import type { ChannelStorage } from './channel-storage.ts';
import { PostgresChannels } from './postgres/postgres-channels.ts';
import { SqliteChannels } from './sqlite/sqlite-channels.ts';
import type { ChannelScheduleStorage } from './channel-schedule-storage.ts';
import { PostgresChannelSchedule } from './postgres/postgres-channel-schedule.ts';
import { SqliteChannelSchedule } from './sqlite/sqlite-channel-schedule.ts';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import { PostgresChannelWraps } from './postgres/postgres-channel-wraps.ts';
import { SqliteChannelWraps } from './sqlite/sqlite-channel-wraps.ts';
import type { WrappedResponseStorage } from './wrapped-response-storage.ts';
import { PostgresWrappedResponses } from './postgres/postgres-wrapped-responses.ts';
import { SqliteWrappedResponses } from './sqlite/sqlite-wrapped-responses.ts';
import type { WrappedCommentStorage } from './wrapped-comment-storage.ts';
import { PostgresWrappedComments } from './postgres/postgres-wrapped-comments.ts';
import { SqliteWrappedComments } from './sqlite/sqlite-wrapped-comments.ts';
import type { WrappedViewStorage } from './wrapped-view-storage.ts';
import { PostgresWrappedViews } from './postgres/postgres-wrapped-views.ts';
import { SqliteWrappedViews } from './sqlite/sqlite-wrapped-views.ts';
import { CHANNEL_VOTE_TABLES, type WrappedVoteStorage } from './wrapped-vote-storage.ts';
import { PostgresWrappedVotes } from './postgres/postgres-wrapped-votes.ts';
import { SqliteWrappedVotes } from './sqlite/sqlite-wrapped-votes.ts';
import { PostgresWrappedReads } from './postgres/postgres-wrapped-reads.ts';
import { SqliteWrappedReads } from './sqlite/sqlite-wrapped-reads.ts';
import type { WrappedReadStorage } from './wrapped-read-storage.ts';
import type { WrappedScheduleStorage } from './wrapped-schedule-storage.ts';
import { PostgresWrappedSchedule } from './postgres/postgres-wrapped-schedule.ts';
import { SqliteWrappedSchedule } from './sqlite/sqlite-wrapped-schedule.ts';
import { SqliteStorage } from './sqlite/sqlite-storage.ts';
import type { Storage } from './storage.ts';
import type { BlobStorage } from './blob-storage.ts';
import { PostgresBlobs } from './postgres/postgres-blobs.ts';
import { SqliteBlobs } from './sqlite/sqlite-blobs.ts';
import { MemoryUploadLeases, type UploadLeases } from '../blob-store/upload-leases.ts';
import { PostgresUploadLeases } from './postgres/postgres-upload-leases.ts';

/** Every store the server uses, on the cluster's PostgreSQL (`PARLEY_DATABASE_URL`) or the single node's SQLite file. */
export interface Stores {
  storage: Storage;
  links: DeviceLinkStorage;
  communityStore: CommunityStorage;
  moderationStore: ModerationStorage;
  botStore: BotStorage;
  channelStore: ChannelStorage;
  channelScheduleStore: ChannelScheduleStorage;
  channelWrapStore: ChannelWrapStorage;
  wrappedResponseStore: WrappedResponseStorage;
  wrappedCommentStore: WrappedCommentStorage;
  wrappedViewStore: WrappedViewStorage;
  channelViewStore: ChannelViewStorage;
  wrappedVoteStore: WrappedVoteStorage;
  /** R198: votes on public channels' polls. */
  channelVoteStore: WrappedVoteStorage;
  wrappedReadStore: WrappedReadStorage;
  wrappedScheduleStore: WrappedScheduleStorage;
  mlsScheduleStore: WrappedScheduleStorage;
  joinRequestStore: JoinRequestStorage;
  limiter: RateLimiter;
  blobs: BlobStorage;
  uploadLeases: UploadLeases;
}

/** Opens the database (migrating it) and makes each store on it; main.ts wires them into the domain. */
export async function openStores(config: Config, ctx: { clock: Clock; logger: Logger; metrics: ServerMetrics; onError: (err: unknown, context: Record<string, unknown>) => void }): Promise<Stores> {
  const { clock, logger, metrics, onError } = ctx;
  let storage: Storage;
  // Device links live in the same database (the tables come with its migrations).
  let links: DeviceLinkStorage;
  let communityStore: CommunityStorage;
  let moderationStore: ModerationStorage;
  let botStore: BotStorage;
  let channelStore: ChannelStorage;
  let channelScheduleStore: ChannelScheduleStorage;
  let channelWrapStore: ChannelWrapStorage;
  let wrappedResponseStore: WrappedResponseStorage;
  let wrappedCommentStore: WrappedCommentStorage;
  let wrappedViewStore: WrappedViewStorage;
  let channelViewStore: ChannelViewStorage; // R190
  let wrappedVoteStore: WrappedVoteStorage; // R185
  let channelVoteStore: WrappedVoteStorage; // R198: the same store on public polls' tables
  let wrappedReadStore: WrappedReadStorage;
  let wrappedScheduleStore: WrappedScheduleStorage; // R188
  let mlsScheduleStore: WrappedScheduleStorage; // R191: the same store on its own table
  let joinRequestStore: JoinRequestStorage;
  // R11: one bucket per key for the whole cluster in its database; a single node's in memory.
  let limiter: RateLimiter;
  let blobs: BlobStorage;
  // R53: one writer per upload: for the whole cluster in its database, for one node in memory.
  let uploadLeases: UploadLeases;
  if (config.databaseUrl) {
    const pgStorage = await PostgresStorage.open(config.databaseUrl, {
      poolSize: config.pgPoolSize,
      ...(config.migrationsDir ? { migrations: loadMigrations('postgres', config.migrationsDir) } : {}),
      onPoolError: (err) => onError(err, { part: 'postgres pool' }),
    });
    storage = pgStorage;
    links = new PostgresDeviceLinks(pgStorage.pool);
    communityStore = new PostgresCommunities(pgStorage.pool);
    moderationStore = new PostgresModeration(pgStorage.pool);
    botStore = new PostgresBots(pgStorage.pool);
    channelStore = new PostgresChannels(pgStorage.pool);
    channelScheduleStore = new PostgresChannelSchedule(pgStorage.pool);
    channelWrapStore = new PostgresChannelWraps(pgStorage.pool);
    wrappedResponseStore = new PostgresWrappedResponses(pgStorage.pool);
    wrappedCommentStore = new PostgresWrappedComments(pgStorage.pool);
    wrappedViewStore = new PostgresWrappedViews(pgStorage.pool);
    channelViewStore = new PostgresChannelViews(pgStorage.pool);
    wrappedVoteStore = new PostgresWrappedVotes(pgStorage.pool);
    channelVoteStore = new PostgresWrappedVotes(pgStorage.pool, CHANNEL_VOTE_TABLES);
    wrappedReadStore = new PostgresWrappedReads(pgStorage.pool);
    wrappedScheduleStore = new PostgresWrappedSchedule(pgStorage.pool);
    mlsScheduleStore = new PostgresWrappedSchedule(pgStorage.pool, 'channel_mls_scheduled');
    joinRequestStore = new PostgresJoinRequests(pgStorage.pool);
    blobs = new PostgresBlobs(pgStorage.pool);
    uploadLeases = new PostgresUploadLeases(pgStorage.pool);
    limiter = new SharedRateLimiter({
      store: new PostgresTokenBuckets(pgStorage.pool),
      clock,
      // Logged at most once a second (retryStoreAfterMs): takes meanwhile use this node's own buckets.
      onStoreError: (err) => logger.warn({ err, part: 'rate limiter' }, 'rate limit store unavailable: limits hold per node until it answers'),
      onStoreCall: (result) => metrics.rateLimitStoreCalls.inc({ result }),
    });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    const sqliteStorage = SqliteStorage.open(join(config.dataDir, 'parley.sqlite'),
      config.migrationsDir ? { migrations: loadMigrations('sqlite', config.migrationsDir) } : {});
    storage = sqliteStorage;
    links = new SqliteDeviceLinks(sqliteStorage.db);
    communityStore = new SqliteCommunities(sqliteStorage.db);
    moderationStore = new SqliteModeration(sqliteStorage.db);
    botStore = new SqliteBots(sqliteStorage.db);
    channelStore = new SqliteChannels(sqliteStorage.db);
    channelScheduleStore = new SqliteChannelSchedule(sqliteStorage.db);
    channelWrapStore = new SqliteChannelWraps(sqliteStorage.db);
    wrappedResponseStore = new SqliteWrappedResponses(sqliteStorage.db);
    wrappedCommentStore = new SqliteWrappedComments(sqliteStorage.db);
    wrappedViewStore = new SqliteWrappedViews(sqliteStorage.db);
    channelViewStore = new SqliteChannelViews(sqliteStorage.db);
    wrappedVoteStore = new SqliteWrappedVotes(sqliteStorage.db);
    channelVoteStore = new SqliteWrappedVotes(sqliteStorage.db, CHANNEL_VOTE_TABLES);
    wrappedReadStore = new SqliteWrappedReads(sqliteStorage.db);
    wrappedScheduleStore = new SqliteWrappedSchedule(sqliteStorage.db);
    mlsScheduleStore = new SqliteWrappedSchedule(sqliteStorage.db, 'channel_mls_scheduled');
    joinRequestStore = new SqliteJoinRequests(sqliteStorage.db);
    blobs = new SqliteBlobs(sqliteStorage.db);
    uploadLeases = new MemoryUploadLeases();
    limiter = new MemoryRateLimiter(clock);
  }
  return { storage, links, communityStore, moderationStore, botStore, channelStore, channelScheduleStore, channelWrapStore, wrappedResponseStore, wrappedCommentStore, wrappedViewStore, channelViewStore, wrappedVoteStore, channelVoteStore, wrappedReadStore, wrappedScheduleStore, mlsScheduleStore, joinRequestStore, limiter, blobs, uploadLeases };
}
