-- R15: a log entry the `commit` frame appended carries the chat epoch it was accepted at; clients
-- apply an entry as a commit only when it does (a commit-typed entry a `send` smuggled in is never
-- one). Entries from before: the commit-typed ones of each chat, in log order, were its epochs
-- 0, 1, 2… unless a `send` smuggled one in (then the numbers after it are off, clients refuse those
-- commits and start the group again, R36). Additive only.
ALTER TABLE messages ADD COLUMN mls_epoch BIGINT;
UPDATE messages m SET mls_epoch = numbered.n
FROM (
  SELECT chat_id, seq, row_number() OVER (PARTITION BY chat_id ORDER BY seq) - 1 AS n
  FROM messages WHERE content_type = 'parley/mls-commit'
) AS numbered
WHERE numbered.chat_id = m.chat_id AND numbered.seq = m.seq;
