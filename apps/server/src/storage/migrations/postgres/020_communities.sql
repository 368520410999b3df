-- R66-R75: communities. A community is members with roles, rights and labels, and group chats
-- linked to it (the chats themselves are ordinary rows of `chats`). Names are '' when end-to-end
-- encrypted. Rights are a comma-separated list; settings a JSON object. The same schema as
-- migrations/sqlite/017_communities.sql. Additive only.
CREATE TABLE communities (
  community_id  TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  owner_id      TEXT NOT NULL REFERENCES users(user_id),
  settings      TEXT NOT NULL
);

CREATE TABLE community_members (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  role          TEXT NOT NULL,
  rights        TEXT NOT NULL,
  label         TEXT,
  joined_at     BIGINT NOT NULL,
  PRIMARY KEY (community_id, user_id)
);
CREATE INDEX community_members_by_user ON community_members(user_id, community_id);

CREATE TABLE community_bans (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  banned_by     TEXT NOT NULL,
  banned_at     BIGINT NOT NULL,
  PRIMARY KEY (community_id, user_id)
);

CREATE TABLE community_chats (
  chat_id       TEXT PRIMARY KEY REFERENCES chats(chat_id),
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  kind          TEXT NOT NULL,
  open          INTEGER NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE INDEX community_chats_by_community ON community_chats(community_id, created_at);

CREATE TABLE community_invites (
  token         TEXT PRIMARY KEY,
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  created_by    TEXT NOT NULL REFERENCES users(user_id),
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  max_uses      INTEGER,
  uses          INTEGER NOT NULL
);
CREATE INDEX community_invites_by_community ON community_invites(community_id);
