import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT, type ChannelKeyList, type ChannelPostBody, type SignedBlob } from '@parley/protocol';

/**
 * What a malicious server could do to a public channel (R96), for tests of what clients catch:
 * each writes straight into a test server's SQLite database (`server.dataDir`); the honest server never does.
 */
function withDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** An Ed25519 key made outside any admin's device (the server's own, say), signing as the SDK does. */
export function outsideChannelKey(): { publicKey: string; signPost(body: ChannelPostBody): SignedBlob; signKeyList(list: ChannelKeyList): SignedBlob } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const blob = (context: string, value: unknown): SignedBlob => {
    const signed = JSON.stringify(value);
    return { signed, signature: sign(null, Buffer.from(context + signed, 'utf8'), privateKey).toString('base64') };
  };
  return { publicKey: raw, signPost: (body) => blob(CHANNEL_POST_CONTEXT, body), signKeyList: (list) => blob(CHANNEL_KEYS_CONTEXT, list) };
}

/** The server edits a stored post's signed JSON (its text, its date…) and keeps the admin's signature. */
export function rewriteChannelPost(dataDir: string, channelId: string, postId: string, change: (body: ChannelPostBody) => ChannelPostBody): void {
  withDb(dataDir, (db) => {
    const row = db.prepare('SELECT signed FROM channel_posts WHERE channel_id = ? AND post_id = ?').get(channelId, postId) as { signed: string } | undefined;
    if (!row) throw new Error(`no post ${channelId}/${postId}`);
    db.prepare('UPDATE channel_posts SET signed = ? WHERE channel_id = ? AND post_id = ?').run(JSON.stringify(change(JSON.parse(row.signed) as ChannelPostBody)), channelId, postId);
  });
}

/** The server swaps two posts' places in the log (each keeps its own signed bytes). */
export function swapChannelPosts(dataDir: string, channelId: string, a: string, b: string): void {
  withDb(dataDir, (db) => db.transaction(() => {
    const at = (postId: string) => db.prepare('SELECT seq, post_seq FROM channel_posts WHERE channel_id = ? AND post_id = ?').get(channelId, postId) as { seq: number; post_seq: number };
    const [pa, pb] = [at(a), at(b)];
    const move = db.prepare('UPDATE channel_posts SET seq = ?, post_seq = ? WHERE channel_id = ? AND post_id = ?');
    move.run(-1, -1, channelId, a);
    move.run(pa.seq, pa.post_seq, channelId, b);
    move.run(pb.seq, pb.post_seq, channelId, a);
  })());
}

/** The server puts a post of its own making in the log, at the next seq, as if an admin had sent it. */
export function insertChannelPost(dataDir: string, channelId: string, post: SignedBlob & { postId: string; seq: number; authorId: string }): void {
  withDb(dataDir, (db) => db.transaction(() => {
    db.prepare('INSERT INTO channel_posts (channel_id, post_id, post_seq, seq, version, author_id, deleted, signed, signature) VALUES (?, ?, ?, ?, 1, ?, 0, ?, ?)')
      .run(channelId, post.postId, post.seq, post.seq, post.authorId, post.signed, post.signature);
    db.prepare('UPDATE channels SET last_seq = ? WHERE channel_id = ?').run(post.seq, channelId);
  })());
}

/** The server replaces the channel's key list (with one signed by a key of its own, or an older one). */
export function replaceChannelKeyList(dataDir: string, channelId: string, blob: SignedBlob, version: number): void {
  withDb(dataDir, (db) => {
    db.prepare('UPDATE channels SET key_list = ?, key_list_sig = ?, key_list_version = ? WHERE channel_id = ?').run(blob.signed, blob.signature, version, channelId);
  });
}

export function channelKeyList(dataDir: string, channelId: string): SignedBlob & { version: number } {
  return withDb(dataDir, (db) => {
    const r = db.prepare('SELECT key_list, key_list_sig, key_list_version FROM channels WHERE channel_id = ?').get(channelId) as { key_list: string; key_list_sig: string; key_list_version: number };
    return { signed: r.key_list, signature: r.key_list_sig, version: r.key_list_version };
  });
}

/** R125: a stored post version's signed bytes and place (to serve again later, as a rolling-back server would). */
export function channelPostRow(dataDir: string, channelId: string, postId: string): SignedBlob & { seq: number; postSeq: number; version: number } {
  return withDb(dataDir, (db) => {
    const r = db.prepare('SELECT signed, signature, seq, post_seq, version FROM channel_posts WHERE channel_id = ? AND post_id = ?').get(channelId, postId) as
      { signed: string; signature: string; seq: number; post_seq: number; version: number };
    return { signed: r.signed, signature: r.signature, seq: r.seq, postSeq: r.post_seq, version: r.version };
  });
}

/** R125: the server serves another (an older) version of a post in its place: its signed bytes at its own seq. */
export function putChannelPostRow(dataDir: string, channelId: string, postId: string, row: SignedBlob & { seq: number; version: number }): void {
  withDb(dataDir, (db) => {
    db.prepare('UPDATE channel_posts SET signed = ?, signature = ?, seq = ?, version = ? WHERE channel_id = ? AND post_id = ?')
      .run(row.signed, row.signature, row.seq, row.version, channelId, postId);
  });
}

/** R125: the server drops a post from the log; with `lastSeq` it also claims the log ends there (withholding the newest). */
export function dropChannelPost(dataDir: string, channelId: string, postId: string, lastSeq?: number): void {
  withDb(dataDir, (db) => db.transaction(() => {
    db.prepare('DELETE FROM channel_media WHERE channel_id = ? AND post_id = ?').run(channelId, postId);
    db.prepare('DELETE FROM channel_posts WHERE channel_id = ? AND post_id = ?').run(channelId, postId);
    if (lastSeq !== undefined) db.prepare('UPDATE channels SET last_seq = ? WHERE channel_id = ?').run(lastSeq, channelId);
  })());
}

/** R125: the stored signed log head (undefined when none). */
export function channelHead(dataDir: string, channelId: string): (SignedBlob & { seq: number }) | undefined {
  return withDb(dataDir, (db) => {
    const r = db.prepare('SELECT head_seq, head_signed, head_sig FROM channels WHERE channel_id = ?').get(channelId) as { head_seq: number; head_signed: string | null; head_sig: string | null };
    return r.head_signed === null || r.head_sig === null ? undefined : { seq: r.head_seq, signed: r.head_signed, signature: r.head_sig };
  });
}

/** R125: the server serves another (an older) signed head, or none. */
export function setChannelHead(dataDir: string, channelId: string, head: (SignedBlob & { seq: number }) | undefined): void {
  withDb(dataDir, (db) => {
    db.prepare('UPDATE channels SET head_seq = ?, head_signed = ?, head_sig = ? WHERE channel_id = ?').run(head?.seq ?? 0, head?.signed ?? null, head?.signature ?? null, channelId);
  });
}
