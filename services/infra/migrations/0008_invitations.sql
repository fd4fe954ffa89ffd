-- Invitations of residents, partners and staff: the code is shown once and only its SHA-256
-- is kept; it works once, until it expires or is revoked. The person invited is registered
-- (their name and contact sealed in `people`) when the invitation is made.
CREATE TABLE IF NOT EXISTS {schema}.invitations (
    id uuid PRIMARY KEY,
    code_sha256 text NOT NULL UNIQUE,
    municipality text NOT NULL,
    role text NOT NULL,
    person_id text NOT NULL,
    organisation text,
    experiment_id uuid,
    language text NOT NULL DEFAULT 'nl',
    delivered text NOT NULL,
    invited_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);

CREATE INDEX IF NOT EXISTS invitations_by_town ON {schema}.invitations (municipality, created_at);
CREATE INDEX IF NOT EXISTS invitations_by_person ON {schema}.invitations (person_id);

-- A partner's organisation goes with their session, to be shown and recorded.
ALTER TABLE {schema}.sessions ADD COLUMN IF NOT EXISTS organisation text;
