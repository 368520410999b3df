import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type Envelope, type KeyLogEntry } from '@parley/protocol';
import type { RunningServer } from '@parley/server';

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

/** The server alters a stored ciphertext (one bit near its end): the next device to fetch the message gets this and fails its check. */
export function tamperMessage(dataDir: string, chatId: string, seq: number): void {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    const row = db.prepare('SELECT payload FROM messages WHERE chat_id = ? AND seq = ?').get(chatId, seq) as { payload: Buffer } | undefined;
    if (!row) throw new Error(`no message ${chatId}#${seq} to tamper with`);
    const altered = Buffer.from(row.payload);
    const at = altered.length - 20;
    altered[at] = (altered[at] ?? 0) ^ 0x01;
    db.prepare('UPDATE messages SET payload = ? WHERE chat_id = ? AND seq = ?').run(altered, chatId, seq);
  } finally {
    db.close();
  }
}

/**
 * A split view: the server rewrites entry `index` of a user's key log as a ghost device's key,
 * chained on the entry before it, so readers who fetch it from now on verify another history than
 * readers who already hold the original. Only the newest entry can be rewritten without breaking
 * the chain of those after it.
 */
export function rewriteKeyLogEntry(dataDir: string, userId: string, index: number, ghostDeviceId: string): void {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF'); // the ghost has no row in devices
    const prev = db.prepare('SELECT hash FROM key_log WHERE user_id = ? AND idx = ?').get(userId, index - 1) as { hash: string } | undefined;
    const fields = { index, kind: 'add' as const, deviceId: ghostDeviceId, mlsSignatureKey: randomBytes(32).toString('base64'), at: Date.now(), prevHash: prev?.hash ?? KEY_LOG_GENESIS_HASH };
    const hash = createHash('sha256').update(keyLogEntryBytes({ userId, ...fields })).digest('hex');
    const changed = db.prepare('UPDATE key_log SET kind = ?, device_id = ?, mls_signature_key = ?, at = ?, hash = ? WHERE user_id = ? AND idx = ?')
      .run(fields.kind, ghostDeviceId, fields.mlsSignatureKey, fields.at, hash, userId, index);
    if (changed.changes !== 1) throw new Error(`no key-log entry ${index} of ${userId} to rewrite`);
  } finally {
    db.close();
  }
}

/**
 * A server that orders a commit it never checked (a malicious or older server, or a bug in a commit's
 * path, R36): the envelope is appended to the chat's log at its current epoch, which moves on, and
 * delivered to the members as the honest path would. Returns the entry's seq.
 */
export async function appendUncheckedCommit(server: RunningServer, chatId: string, sender: { userId: string; deviceId: string }, envelope: Envelope): Promise<number> {
  const { storage, delivery } = server.services;
  const chat = await storage.getChat(chatId);
  if (!chat) throw new Error(`no chat ${chatId}`);
  const result = await storage.appendCommit({
    chatId, clientMsgId: `unchecked_${randomBytes(6).toString('hex')}`, senderUserId: sender.userId, senderDeviceId: sender.deviceId,
    sentAt: Date.now(), envelope, system: null,
  }, chat.mlsEpoch);
  if ('conflict' in result) throw new Error(`epoch moved to ${result.conflict}`);
  await delivery.announce(result.message);
  return result.message.seq;
}

/** A database from before R35: the server holds no public state of any chat's MLS group (run it on a stopped server's data dir). */
export function forgetGroupStates(dataDir: string): number {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('DELETE FROM mls_group_states').run().changes;
  } finally {
    db.close();
  }
}

/**
 * What a server from before R15's commit stamp did with a `send` whose envelope is of the commit
 * type (or a malicious one does): it appends it as an ordinary entry, the chat's epoch unmoved, and
 * delivers it. Returns the entry's seq.
 */
export async function appendAsMessage(server: RunningServer, chatId: string, sender: { userId: string; deviceId: string }, envelope: Envelope): Promise<number> {
  const { storage, delivery } = server.services;
  const [result] = await storage.appendMessages([{
    chatId, clientMsgId: `smuggled_${randomBytes(6).toString('hex')}`, senderUserId: sender.userId, senderDeviceId: sender.deviceId,
    sentAt: Date.now(), envelope, system: null,
  }]);
  if (!result) throw new Error('nothing appended');
  await delivery.announce(result.message);
  return result.message.seq;
}

/**
 * A server that lost count of a chat's commits (a database restored from an older backup, a bug,
 * a malicious operator): the chat's MLS epoch goes back by one, while its members' devices have
 * applied the commit that moved it. Written into a running test server's SQLite database.
 */
export function rollBackChatEpoch(dataDir: string, chatId: string): number {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE chats SET mls_epoch = mls_epoch - 1 WHERE chat_id = ? AND mls_epoch > 0').run(chatId);
    return (db.prepare('SELECT mls_epoch FROM chats WHERE chat_id = ?').get(chatId) as { mls_epoch: number }).mls_epoch;
  } finally {
    db.close();
  }
}
