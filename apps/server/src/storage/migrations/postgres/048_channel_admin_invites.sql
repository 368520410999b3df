-- R200: the chat list asks on each load which channels named this user an admin who has not accepted
-- (`GET /channels/admin-invites`: user_id = ? AND public_key IS NULL). The primary key leads with
-- channel_id, so that was a scan of every channel's admins; this index holds only pending invitations.
CREATE INDEX channel_admins_invited ON channel_admins (user_id) WHERE public_key IS NULL;
