-- Returning by e-mail: an invitation remembers a keyed hash of the address it was for (never
-- the address), so that a person who accepted one can ask for a sign-in link later. The
-- link's token is kept as a SHA-256, works once, for 15 minutes.
ALTER TABLE {schema}.invitations ADD COLUMN IF NOT EXISTS contact_lookup text;
CREATE INDEX IF NOT EXISTS invitations_by_contact ON {schema}.invitations (contact_lookup);

CREATE TABLE IF NOT EXISTS {schema}.sign_in_links (
    token_sha256 text PRIMARY KEY,
    person_id text NOT NULL,
    role text NOT NULL,
    municipality text NOT NULL,
    organisation text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE INDEX IF NOT EXISTS sign_in_links_by_person ON {schema}.sign_in_links (person_id);
