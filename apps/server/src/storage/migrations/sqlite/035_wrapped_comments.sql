-- R177: comment marks on a wrapped channel's posts. `mark` is an HMAC under the post's epoch key of the
-- comment's message id in the discussion chat (computed on the commenter's device): the server counts
-- marks per post and can't tell which comment a mark stands for. One row per (post, mark): a mark sent
-- twice counts once. The same schema as postgres/038_wrapped_comments.sql.
CREATE TABLE channel_wrapped_comments (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  mark          TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, seq, mark),
  FOREIGN KEY (community_id, seq) REFERENCES channel_wrapped_posts(community_id, seq)
);
