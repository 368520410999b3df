-- Branch botsweb only: holds number 028 for another branch's migration so 029_bot_commands applies
-- in order here (migrations run 1, 2, 3…). Dropped when the branches are merged.
SELECT 1;
