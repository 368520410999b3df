-- Per-user device-key log (R19-R21): append-only, hash-chained entries binding each device to its MLS
-- signature key. The same schema as migrations/sqlite/004_key_log.sql. Additive only.
-- idx runs 1, 2, 3… per user (the primary key makes a fork impossible even if two appends raced);
-- mls_signature_key is the raw key as canonical base64 for 'add', NULL for 'revoke'; hashes are hex.
CREATE TABLE key_log (
  user_id            TEXT NOT NULL REFERENCES users(user_id),
  idx                BIGINT  NOT NULL CHECK (idx > 0),
  kind               TEXT NOT NULL CHECK (kind IN ('add', 'revoke')),
  device_id          TEXT NOT NULL REFERENCES devices(device_id),
  mls_signature_key  TEXT,
  at                 BIGINT  NOT NULL,
  prev_hash          TEXT NOT NULL,
  hash               TEXT NOT NULL,
  PRIMARY KEY (user_id, idx),
  CHECK ((kind = 'add') = (mls_signature_key IS NOT NULL))
);
-- A device is added once and revoked at most once.
CREATE UNIQUE INDEX key_log_one_entry_per_kind ON key_log(device_id, kind);
