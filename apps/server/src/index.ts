export { startParley, defaultWebDist, type RunningServer, type StartOptions } from './main.ts';
export { loadConfig, type Config } from './config.ts';
export type { HttpRoute } from './http/app.ts';
export type { Storage } from './storage/storage.ts';
export type { PushSender } from './domain/push.ts';
export type { HostResolver, ResolvedAddress } from './domain/push-endpoint-policy.ts';
// For @parley/testing: a migrated SQLite file made once and copied for each test's server.
export { migratedSqliteFile } from './storage/sqlite/migrated-sqlite.ts';
