-- A session opened through a municipality's identity provider names that provider, so that
-- removing the provider ends its sessions at once.
ALTER TABLE {schema}.sessions ADD COLUMN IF NOT EXISTS identity_provider text;
CREATE INDEX IF NOT EXISTS sessions_by_provider ON {schema}.sessions (identity_provider);
