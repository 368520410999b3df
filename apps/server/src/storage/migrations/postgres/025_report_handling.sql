-- R84b: a community report is resolved once (when, by whom, acted or dismissed) and deleted after
-- PARLEY_REPORT_RETENTION_MS. The same schema as migrations/sqlite/022_report_handling.sql. Additive only.
ALTER TABLE community_reports ADD COLUMN resolved_at BIGINT;
ALTER TABLE community_reports ADD COLUMN resolved_by TEXT;
ALTER TABLE community_reports ADD COLUMN outcome TEXT;
CREATE INDEX community_reports_retention ON community_reports((COALESCE(resolved_at, created_at)));
