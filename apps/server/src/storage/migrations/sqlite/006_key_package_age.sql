-- Key package max age (R14): claims skip key packages stored longer ago than PARLEY_KEY_PACKAGE_MAX_AGE_MS,
-- and a sweep deletes them across all devices by created_at (the upload time, server clock), which
-- this index serves. The same schema as migrations/postgres/007_key_package_age.sql. Additive only.
CREATE INDEX key_packages_age ON key_packages(created_at);
