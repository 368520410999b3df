-- Device linking (R23-R26): a new device's request to join an account, approved from one of the
-- account's devices with the code the new device shows. The same schema as migrations/sqlite/005_device_links.sql.
-- Additive only.
-- code_hash is sha256(link_id ':' code), hex; the code itself is never stored. status is the stored
-- state ('expired' is computed from expires_at). device_id is the device an approval added.
CREATE TABLE device_links (
  link_id      TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(user_id),
  device_name  TEXT NOT NULL,
  public_key   TEXT NOT NULL,
  code_hash    TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'locked')),
  device_id    TEXT REFERENCES devices(device_id),
  closed_at    BIGINT,
  CHECK ((status = 'approved') = (device_id IS NOT NULL))
);
CREATE INDEX device_links_user ON device_links(user_id, status);
CREATE INDEX device_links_expires ON device_links(expires_at);
