-- Sessions of the pages, kept on the server: the cookie holds a random value, only its
-- SHA-256 is stored. A session belongs to a person (or, in development, to the API key it
-- was opened with) and ends at sign-out, at its expiry (absolute or idle), when the
-- person's access is revoked and when the person is erased.
CREATE TABLE IF NOT EXISTS {schema}.sessions (
    id uuid PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    role text NOT NULL,
    municipality text NOT NULL,
    person_id text,
    api_key_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_by_person ON {schema}.sessions (person_id);
CREATE INDEX IF NOT EXISTS sessions_by_key ON {schema}.sessions (api_key_id);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON {schema}.sessions (expires_at);
