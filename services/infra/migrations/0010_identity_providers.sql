-- Staff sign in through their municipality's own OpenID provider. A provider's client
-- secret is kept encrypted (like webhook secrets); a sign-in under way is a row until its
-- callback uses it (10 minutes at most); the provider's subject of a person is kept only as
-- a keyed hash, pointing at the pseudonymous person it signed in as.
CREATE TABLE IF NOT EXISTS {schema}.identity_providers (
    name text PRIMARY KEY,
    municipality text NOT NULL,
    issuer text NOT NULL,
    client_id text NOT NULL,
    client_secret bytea NOT NULL,
    role_claim text NOT NULL,
    role_map jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.oidc_logins (
    state_sha256 text PRIMARY KEY,
    provider text NOT NULL,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.oidc_subjects (
    provider text NOT NULL,
    subject_lookup text NOT NULL,
    person_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject_lookup)
);
