import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry } from '@parley/protocol';

/**
 * What a malicious server would do, for tests of what clients catch: append a key for a device the
 * account does not have to the user's key log, chained as the server chains entries
 * (apps/server/src/storage/key-log-chain.ts), so every reader's chain check (R22) passes. Written
 * straight into a test server's SQLite database (`server.dataDir`); the honest server never does it.
 */
export function forgeKeyLogEntry(dataDir: string, userId: string, deviceId: string): KeyLogEntry {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF'); // the ghost has no row in devices
    const head = db.prepare('SELECT idx, hash FROM key_log WHERE user_id = ? ORDER BY idx DESC LIMIT 1').get(userId) as { idx: number; hash: string } | undefined;
    const fields = {
      index: (head?.idx ?? 0) + 1, kind: 'add' as const, deviceId, mlsSignatureKey: randomBytes(32).toString('base64'),
      at: Date.now(), prevHash: head?.hash ?? KEY_LOG_GENESIS_HASH,
    };
    const entry = { ...fields, hash: createHash('sha256').update(keyLogEntryBytes({ userId, ...fields })).digest('hex') };
    db.prepare('INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(userId, entry.index, entry.kind, entry.deviceId, entry.mlsSignatureKey, entry.at, entry.prevHash, entry.hash);
    return entry;
  } finally {
    db.close();
  }
}
