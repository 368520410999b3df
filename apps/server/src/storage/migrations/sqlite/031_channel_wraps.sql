-- R141-R142: a private channel past the MLS size ("wrapped" mode, settings.wrapped). Per epoch an
-- admin's device draws a channel key and wraps it for each subscriber device (X25519 + HKDF + AES-GCM
-- to the device's key-log key); the server keeps the wraps and the posts encrypted under the key,
-- opaque bytes (base64), never a key or a plaintext. The same schema as postgres/034_channel_wraps.sql.
CREATE TABLE channel_epochs (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  epoch         INTEGER NOT NULL CHECK (epoch > 0),
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, epoch)
);

-- One wrap per (epoch, device); a device reads its own by (community, device).
CREATE TABLE channel_epoch_wraps (
  community_id  TEXT NOT NULL,
  epoch         INTEGER NOT NULL,
  user_id       TEXT NOT NULL,
  device_id     TEXT NOT NULL REFERENCES devices(device_id),
  wrapped       TEXT NOT NULL,
  wrapped_by    TEXT NOT NULL,
  PRIMARY KEY (community_id, epoch, device_id),
  FOREIGN KEY (community_id, epoch) REFERENCES channel_epochs(community_id, epoch)
);
CREATE INDEX channel_epoch_wraps_device ON channel_epoch_wraps(community_id, device_id, epoch);

-- Posts in wrapped mode: AES-GCM under the epoch's key, signed inside by the admin's device.
CREATE TABLE channel_wrapped_posts (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL CHECK (seq > 0),
  epoch         INTEGER NOT NULL,
  author_id     TEXT NOT NULL,
  author_device TEXT NOT NULL,
  body          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, seq),
  FOREIGN KEY (community_id, epoch) REFERENCES channel_epochs(community_id, epoch)
);

-- When a subscriber last left or was removed: a post under an epoch made before it is refused (R142).
CREATE TABLE channel_wrapped_state (
  community_id  TEXT PRIMARY KEY REFERENCES communities(community_id),
  removed_at    INTEGER NOT NULL
);
