-- R100-R101: invite links that need an admin's approval, and the requests to join made through them.
-- The same schema as migrations/sqlite/021_join_requests.sql. Additive only.
ALTER TABLE community_invites ADD COLUMN needs_approval BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE community_join_requests (
  request_id    TEXT PRIMARY KEY,
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  invite_token  TEXT NOT NULL,
  note          TEXT NOT NULL,
  status        TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  decided_by    TEXT,
  decided_at    BIGINT
);
-- One pending request per person and community; the pending ones of a community, oldest first.
CREATE UNIQUE INDEX community_join_requests_one_pending ON community_join_requests(community_id, user_id) WHERE status = 'pending';
CREATE INDEX community_join_requests_by_community ON community_join_requests(community_id, status, created_at);
CREATE INDEX community_join_requests_by_user ON community_join_requests(user_id, created_at);
