-- R110: the photos and files of public channel posts. A row says that the current version of a post
-- names a blob, with the media type its signed body gives (what /c/<handle>/media/<blob> serves it as).
-- A blob named here is public (anyone may download it through its channel) and is not swept (R56);
-- when a post's new version stops naming it (an edit, a deletion) the row goes and the blob ages out
-- like any unreferenced upload. R111: an index for channel search by title prefix. The same schema
-- as migrations/postgres/026_channel_media.sql. Additive only.
CREATE TABLE channel_media (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  post_id     TEXT NOT NULL,
  blob_id     TEXT NOT NULL REFERENCES blobs(blob_id),
  mime        TEXT NOT NULL,
  PRIMARY KEY (channel_id, post_id, blob_id)
);
CREATE INDEX channel_media_blob ON channel_media(blob_id);
CREATE INDEX channels_title_lower ON channels(lower(title));
