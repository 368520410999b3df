-- R105: a bot's privacy mode in groups (TRUE: on, the default; FALSE: its owner turned it off).
-- The same schema as migrations/sqlite/025_bot_privacy.sql. Additive only.
ALTER TABLE bots ADD COLUMN group_privacy BOOLEAN NOT NULL DEFAULT TRUE;
