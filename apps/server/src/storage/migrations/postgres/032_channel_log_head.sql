-- R125: the newest signed log head of a public channel, as an admin's device signed it ("the log reached
-- seq, as I saw it at date"). head_seq only ever grows and never passes last_seq. Additive only; the same
-- schema in both dialects.
ALTER TABLE channels ADD COLUMN head_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN head_signed TEXT;
ALTER TABLE channels ADD COLUMN head_sig TEXT;
