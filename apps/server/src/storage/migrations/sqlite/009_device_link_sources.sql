-- R43: sign-in (device link) requests hold at most one of an account's slots per source, and a
-- request arriving at full slots displaces the oldest. The same schema as
-- migrations/postgres/011_device_link_sources.sql. Additive only: a displaced request keeps status
-- 'pending' with its expires_at moved to the displacement, so a node from before reads it as expired.
-- source_key: a keyed hash (server secret) of where it came from (an IPv4 address, an IPv6 /64).
-- origin_hint: what the account's devices are shown of that place (PARLEY_LINK_ORIGIN_HINT), or NULL.
-- displaced_at: when a newer request took its slot.
ALTER TABLE device_links ADD COLUMN source_key TEXT;
ALTER TABLE device_links ADD COLUMN origin_hint TEXT;
ALTER TABLE device_links ADD COLUMN displaced_at INTEGER;
