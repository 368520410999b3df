-- Branch views only: holds number 037 for another branch's migration so 038_wrapped_views applies
-- in order here (migrations run 1, 2, 3…). Dropped when the branches are merged.
SELECT 1;
