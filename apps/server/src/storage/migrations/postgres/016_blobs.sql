-- R53-R56: files. A blob is an account's upload of opaque ciphertext (the bytes live in the blob
-- store, not here): who uploaded it, its declared length, when it began and when it was completed
-- (null while unfinished). blob_refs records, with the log entry of the `send` that named it (R54),
-- that a chat's message by a sender references it; R55 access and R56 lifetime are computed from
-- these rows and current membership. A blob with references cannot be deleted (foreign key). The
-- same schema as migrations/sqlite/014_blobs.sql. Additive only.
CREATE TABLE blobs (
  blob_id          TEXT PRIMARY KEY,
  owner_user_id    TEXT NOT NULL REFERENCES users(user_id),
  owner_device_id  TEXT NOT NULL,
  length           BIGINT NOT NULL,
  created_at       BIGINT NOT NULL,
  completed_at     BIGINT
);
CREATE INDEX blobs_owner ON blobs(owner_user_id);
CREATE INDEX blobs_unfinished ON blobs(owner_device_id, created_at) WHERE completed_at IS NULL;
CREATE INDEX blobs_completed ON blobs(completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE blob_refs (
  chat_id         TEXT NOT NULL REFERENCES chats(chat_id),
  blob_id         TEXT NOT NULL REFERENCES blobs(blob_id),
  sender_user_id  TEXT NOT NULL,
  seq             BIGINT NOT NULL,
  PRIMARY KEY (blob_id, chat_id, sender_user_id, seq)
);
CREATE INDEX blob_refs_chat ON blob_refs(chat_id, sender_user_id);
