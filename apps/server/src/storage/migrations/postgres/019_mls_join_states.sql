-- R35b: the public state of a chat's group at each epoch a commit with a Welcome led to, kept for
-- the devices that commit added: they take the group's ratchet tree from here when the Welcome
-- does not carry it (big groups; the Welcome then stays small). Public keys, credentials and
-- signatures only, as mls_group_states. The same schema as migrations/sqlite/016_mls_join_states.sql.
-- expires_at: server clock, ms; rows past it are deleted with the chat's next such commit.
CREATE TABLE mls_join_states (
  chat_id     TEXT NOT NULL REFERENCES chats(chat_id),
  epoch       BIGINT NOT NULL,
  state       BYTEA NOT NULL,
  expires_at  BIGINT NOT NULL,
  PRIMARY KEY (chat_id, epoch)
);
