-- R154: where in the community's announcements chat the admin's device stated that anyone may join a
-- public channel's discussion (R152 `open`), as that device reported it; NULL when not reported (a
-- private channel's, or linked before R154). The same schema as
-- migrations/sqlite/033_discussion_open_seq.sql. Additive only.
ALTER TABLE channel_discussions ADD COLUMN open_seq BIGINT;
