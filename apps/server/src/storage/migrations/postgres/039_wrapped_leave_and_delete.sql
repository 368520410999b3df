-- R178: a member who leaves a wrapped channel (or is removed, banned) takes their reactions with them:
-- found by user, not by scanning every reaction of the channel. The same index as sqlite/036_wrapped_leave_and_delete.sql.
CREATE INDEX channel_wrapped_reactions_user ON channel_wrapped_reactions(community_id, user_id);

-- R178: a deleted wrapped post's files are swept. A wrapped post's blob references (R162) are kept at
-- minus its seq from now on (no chat message has a seq below 1), so its deletion releases exactly them.
-- Those made before are moved there when nothing else may have made them: a chat message's reference
-- by the same sender at the same seq of the announcements chat (then it stays, and its blob with it).
UPDATE blob_refs SET seq = -seq
WHERE seq > 0
  AND EXISTS (SELECT 1 FROM community_chats cc JOIN channel_wrapped_posts p ON p.community_id = cc.community_id
    WHERE cc.chat_id = blob_refs.chat_id AND cc.kind = 'announcements' AND p.seq = blob_refs.seq AND p.author_id = blob_refs.sender_user_id)
  AND NOT EXISTS (SELECT 1 FROM messages m
    WHERE m.chat_id = blob_refs.chat_id AND m.seq = blob_refs.seq AND m.sender_user_id = blob_refs.sender_user_id AND m.system IS NULL);
