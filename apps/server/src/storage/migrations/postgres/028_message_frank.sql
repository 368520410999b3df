-- R83/R83b: a message's franking commitment lives on its log entry, written in the append's own
-- transaction (before, a separate write after it: a crash in between lost the tag) and delivered
-- with the entry, so receivers check it. The tags kept so far move over; their table goes.
ALTER TABLE messages ADD COLUMN frank TEXT;
UPDATE messages m SET frank = f.tag FROM message_franks f WHERE f.chat_id = m.chat_id AND f.seq = m.seq;
DROP TABLE message_franks;

-- parley_append (003) with the entry's franking commitment. A new overload: a node of the previous
-- release still calls the 8-argument one during a rolling upgrade (its entries carry no tag).
CREATE FUNCTION parley_append(
  p_chat_id TEXT[], p_client_msg_id TEXT[], p_sender_user_id TEXT[], p_sender_device_id TEXT[],
  p_sent_at BIGINT[], p_content_type TEXT[], p_payload BYTEA[], p_system TEXT[], p_frank TEXT[]
) RETURNS TABLE (
  chat_id TEXT, seq BIGINT, client_msg_id TEXT, sender_user_id TEXT, sender_device_id TEXT,
  sent_at BIGINT, content_type TEXT, payload BYTEA, system TEXT, frank TEXT, duplicate BOOLEAN
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  wanted TEXT[] := ARRAY(SELECT DISTINCT x FROM unnest(p_chat_id) AS x ORDER BY x);
  locked INT;
  next_seq BIGINT;
BEGIN
  SELECT count(*) INTO locked FROM (SELECT 1 FROM chats c WHERE c.chat_id = ANY (wanted) ORDER BY c.chat_id FOR UPDATE) AS l;
  IF locked <> coalesce(array_length(wanted, 1), 0) THEN
    RAISE EXCEPTION 'no such chat' USING ERRCODE = 'P0002';
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_chat_id, 1), 0) LOOP
    RETURN QUERY SELECT m.chat_id, m.seq, m.client_msg_id, m.sender_user_id, m.sender_device_id,
        m.sent_at, m.content_type, m.payload, m.system, m.frank, TRUE
      FROM messages m
      WHERE m.chat_id = p_chat_id[i] AND m.sender_user_id = p_sender_user_id[i] AND m.client_msg_id = p_client_msg_id[i];
    IF NOT FOUND THEN
      UPDATE chats c SET last_seq = c.last_seq + 1 WHERE c.chat_id = p_chat_id[i] RETURNING c.last_seq INTO next_seq;
      INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system, frank)
        VALUES (p_chat_id[i], next_seq, p_client_msg_id[i], p_sender_user_id[i], p_sender_device_id[i],
          p_sent_at[i], p_content_type[i], p_payload[i], p_system[i], p_frank[i]);
      RETURN QUERY SELECT p_chat_id[i], next_seq, p_client_msg_id[i], p_sender_user_id[i], p_sender_device_id[i],
        p_sent_at[i], p_content_type[i], p_payload[i], p_system[i], p_frank[i], FALSE;
    END IF;
  END LOOP;
END
$$;
