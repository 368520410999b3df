-- R40: the chat list after sign-in is read in pages ordered by chat id ("the user's chats after X,
-- the next N"). This index answers that without sorting all of a user's memberships per page. The
-- same schema as migrations/sqlite/012_members_by_user.sql. Additive only.
CREATE INDEX members_user_chat ON members(user_id, chat_id);
