-- R129: the device of the bot gateway this server runs for the bot (its operator hosts the bot);
-- NULL for a bot whose owner runs its gateway. The same schema as migrations/sqlite/029_bot_hosting.sql.
ALTER TABLE bots ADD COLUMN hosted_device_id TEXT;
