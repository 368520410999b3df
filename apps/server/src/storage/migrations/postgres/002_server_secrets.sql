-- Keys every node of a deployment must share (challenge-signing key, VAPID key pair).
-- Additive only, so nodes still on migration 001 keep working during a rolling upgrade.
CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
