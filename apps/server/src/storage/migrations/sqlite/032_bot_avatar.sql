-- R143: a bot's avatar: an uploaded blob (public, not encrypted) and the image type it is served as;
-- NULL when it has none. A blob named here is not swept (R56); when the owner replaces or removes
-- the avatar, the old blob ages out like any unreferenced upload. The same schema as
-- migrations/postgres/034_bot_avatar.sql. Additive only.
ALTER TABLE bots ADD COLUMN avatar_blob_id TEXT REFERENCES blobs(blob_id);
ALTER TABLE bots ADD COLUMN avatar_mime TEXT;
CREATE INDEX bots_avatar_blob ON bots(avatar_blob_id);
