-- R118: the devices that asked to ring for incoming calls through Web Push when no tab is open.
-- The same schema as migrations/sqlite/024_call_ringing.sql. Additive only.
CREATE TABLE call_ring_devices (
  device_id   TEXT PRIMARY KEY REFERENCES devices(device_id),
  user_id     TEXT NOT NULL REFERENCES users(user_id),
  created_at  BIGINT NOT NULL
);
CREATE INDEX call_ring_devices_by_user ON call_ring_devices(user_id);
