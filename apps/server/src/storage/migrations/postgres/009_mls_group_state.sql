-- R35: the public state of each chat's MLS group (GroupContext, confirmation tag, ratchet tree: no
-- secret), as the server last checked it; written in the transaction that appends the commit that
-- led to it. The same schema as migrations/sqlite/007_mls_group_state.sql. Additive only: a chat
-- without a row is one whose group started before the server checked commits (R35 adopts it).
-- epoch: the chat's mls_epoch the state describes. started_at: when its group was last started again
-- (R36; 0 if never), server clock, ms.
CREATE TABLE mls_group_states (
  chat_id     TEXT PRIMARY KEY REFERENCES chats(chat_id),
  epoch       BIGINT NOT NULL,
  state       BYTEA NOT NULL,
  started_at  BIGINT NOT NULL
);
