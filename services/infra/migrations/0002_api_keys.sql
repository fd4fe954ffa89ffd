-- API keys: only the SHA-256 of a token is kept. A person's key names a pseudonymous person
-- (their name lives sealed in `people`); an integration's key keeps its name.
CREATE TABLE IF NOT EXISTS {schema}.api_keys (
    id uuid PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    role text NOT NULL,
    municipality text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

ALTER TABLE {schema}.api_keys ADD COLUMN IF NOT EXISTS person_id text;
