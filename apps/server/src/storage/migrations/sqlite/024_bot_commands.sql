-- R108: a bot's command menu (public: people's clients show it on `/`), as JSON text
-- ([{"command","description"}]). The same schema as migrations/postgres/029_bot_commands.sql. Additive only.
ALTER TABLE bots ADD COLUMN commands TEXT NOT NULL DEFAULT '[]';
