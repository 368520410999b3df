-- The hot path of the message log in one round trip: a node's group commit appends a batch with one
-- statement instead of six (BEGIN, lock, duplicate check, seq update, insert, COMMIT). Same rules as
-- the TypeScript path used inside other transactions (PostgresStorage#append):
--   lock the batch's chats in sorted order (concurrent nodes queue instead of deadlocking; a missing
--   chat fails the batch), then per entry in order: an existing (chat, sender, client id) is returned
--   as a duplicate, otherwise it takes the chat's next seq (R1, R3).
CREATE FUNCTION parley_append(
  p_chat_id TEXT[], p_client_msg_id TEXT[], p_sender_user_id TEXT[], p_sender_device_id TEXT[],
  p_sent_at BIGINT[], p_content_type TEXT[], p_payload BYTEA[], p_system TEXT[]
) RETURNS TABLE (
  chat_id TEXT, seq BIGINT, client_msg_id TEXT, sender_user_id TEXT, sender_device_id TEXT,
  sent_at BIGINT, content_type TEXT, payload BYTEA, system TEXT, duplicate BOOLEAN
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
        m.sent_at, m.content_type, m.payload, m.system, TRUE
      FROM messages m
      WHERE m.chat_id = p_chat_id[i] AND m.sender_user_id = p_sender_user_id[i] AND m.client_msg_id = p_client_msg_id[i];
    IF NOT FOUND THEN
      UPDATE chats c SET last_seq = c.last_seq + 1 WHERE c.chat_id = p_chat_id[i] RETURNING c.last_seq INTO next_seq;
      INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system)
        VALUES (p_chat_id[i], next_seq, p_client_msg_id[i], p_sender_user_id[i], p_sender_device_id[i],
          p_sent_at[i], p_content_type[i], p_payload[i], p_system[i]);
      RETURN QUERY SELECT p_chat_id[i], next_seq, p_client_msg_id[i], p_sender_user_id[i], p_sender_device_id[i],
        p_sent_at[i], p_content_type[i], p_payload[i], p_system[i], FALSE;
    END IF;
  END LOOP;
END
$$;
