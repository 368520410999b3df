-- R83/R83b: a message's franking commitment lives on its log entry, written in the append's own
-- transaction (before, a separate write after it: a crash in between lost the tag) and delivered
-- with the entry, so receivers check it. The tags kept so far move over; their table goes.
ALTER TABLE messages ADD COLUMN frank TEXT;
UPDATE messages SET frank = (SELECT f.tag FROM message_franks f WHERE f.chat_id = messages.chat_id AND f.seq = messages.seq)
  WHERE EXISTS (SELECT 1 FROM message_franks f WHERE f.chat_id = messages.chat_id AND f.seq = messages.seq);
DROP TABLE message_franks;
