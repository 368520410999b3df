-- MLS delivery service (R14, R15). Additive only: nodes of the previous release keep working.
-- The epoch the next accepted MLS commit of the chat's group must name.
ALTER TABLE chats ADD COLUMN mls_epoch INTEGER NOT NULL DEFAULT 0;

-- The key package directory: opaque TLS-encoded MLS KeyPackages per device, never parsed.
-- key_package_id is the sha256 of the bytes (hex), unique per device. last_resort is 0 or 1 (an INTEGER in both
-- dialects, so migrate-to-postgres copies it as is); a device has at most one last-resort one.
CREATE TABLE key_packages (
  key_package_id  TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  device_id       TEXT NOT NULL REFERENCES devices(device_id),
  key_package     BLOB NOT NULL,
  last_resort     INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (device_id, key_package_id)
);
CREATE INDEX key_packages_claim ON key_packages(device_id, last_resort, created_at);
CREATE UNIQUE INDEX key_packages_one_last_resort ON key_packages(device_id) WHERE last_resort = 1;
