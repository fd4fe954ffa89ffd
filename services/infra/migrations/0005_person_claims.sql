-- A person named in a decision is kept only once an accepted decision refers to them. Until
-- then they are unconfirmed, held by a claim of the decision that named them; a refused
-- decision releases its claim, and an unconfirmed person without claims is deleted with
-- their key. People registered before this migration are referred to already.
ALTER TABLE {schema}.people ADD COLUMN IF NOT EXISTS confirmed boolean NOT NULL DEFAULT true;

CREATE TABLE IF NOT EXISTS {schema}.person_claims (
    person_id text NOT NULL REFERENCES {schema}.people (person_id) ON DELETE CASCADE,
    experiment_id uuid NOT NULL,
    decision_id text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (experiment_id, decision_id, person_id)
);

CREATE INDEX IF NOT EXISTS person_claims_by_person ON {schema}.person_claims (person_id);
CREATE INDEX IF NOT EXISTS person_claims_by_age ON {schema}.person_claims (claimed_at);
