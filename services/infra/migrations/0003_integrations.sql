-- Webhook integrations: their secrets encrypted at rest, the previous one valid for a grace
-- period after a rotation.
CREATE TABLE IF NOT EXISTS {schema}.integrations (
    name text PRIMARY KEY,
    municipality text NOT NULL,
    secret bytea NOT NULL,
    previous_secret bytea,
    previous_valid_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz,
    revoked_at timestamptz
);
