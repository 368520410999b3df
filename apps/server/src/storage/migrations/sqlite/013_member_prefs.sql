-- R48: a member's own settings for a chat, the same on all their devices: archived, muted until
-- (ms; 0 = not muted), marked unread. Only the member sees them (and the push notifier reads
-- muted_until: a muted chat wakes no device). They go with the membership. The same schema as
-- migrations/postgres/015_member_prefs.sql. Additive only.
ALTER TABLE members ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
