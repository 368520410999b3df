-- R48: a member's own settings for a chat, the same on all their devices: archived, muted until
-- (ms; 0 = not muted), marked unread. Only the member sees them (and the push notifier reads
-- muted_until: a muted chat wakes no device). They go with the membership. The same schema as
-- migrations/sqlite/013_member_prefs.sql. Additive only.
ALTER TABLE members ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE members ADD COLUMN muted_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN marked_unread BOOLEAN NOT NULL DEFAULT false;
