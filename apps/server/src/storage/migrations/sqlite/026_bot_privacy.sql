-- R105: a bot's privacy mode in groups (1: on, the default; 0: its owner turned it off).
-- The same schema as migrations/postgres/028_bot_privacy.sql. Additive only.
ALTER TABLE bots ADD COLUMN group_privacy INTEGER NOT NULL DEFAULT 1;
