-- R42: invites die with their creator's right to invite, can be limited in uses, and a member an
-- admin removed rejoins only through an invite made after the removal. The same schema as
-- migrations/postgres/010_invite_rights.sql. Additive only.
-- invites.max_uses: joins it admits at most (NULL: no limit); invites.uses: joins it admitted.
ALTER TABLE invites ADD COLUMN max_uses INTEGER;
ALTER TABLE invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
CREATE INDEX invites_chat ON invites(chat_id, created_at);
-- members.admin_since: since when the member has held admin or owner without a break (NULL while a
-- plain member). Admins and owners from before this migration count from when they joined.
ALTER TABLE members ADD COLUMN admin_since INTEGER;
UPDATE members SET admin_since = joined_at WHERE role IN ('admin', 'owner');
-- The last time an admin removed a user from a chat (a leave is not recorded): kept while the chat is.
CREATE TABLE chat_removals (
  chat_id     TEXT NOT NULL REFERENCES chats(chat_id),
  user_id     TEXT NOT NULL,
  removed_by  TEXT NOT NULL,
  removed_at  INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
