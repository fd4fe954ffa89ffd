-- The people registry: pseudonymous ids, their sealed profile, a keyed lookup of a mentioned
-- person's name and contact (blanked on erasure), and each person's own key in a table of its
-- own, so that erasure deletes one row.
CREATE TABLE IF NOT EXISTS {schema}.people (
    person_id text PRIMARY KEY,
    municipality text NOT NULL,
    profile text,
    lookup text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    erased_by text
);

CREATE TABLE IF NOT EXISTS {schema}.person_keys (
    person_id text PRIMARY KEY,
    key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
