-- Evidence: files decisions rest on, kept in PostgreSQL in chunks of at most 1 MB (the
-- embedded default has no other store). A person's own file is sealed chunk by chunk with a
-- key derived from theirs (`owner`), so erasing them makes it unreadable.
CREATE TABLE IF NOT EXISTS {schema}.evidence (
    id uuid PRIMARY KEY,
    municipality text NOT NULL,
    experiment_id uuid NOT NULL,
    title text NOT NULL,
    media_type text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    owner text,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS evidence_by_experiment ON {schema}.evidence (experiment_id, uploaded_at);

CREATE TABLE IF NOT EXISTS {schema}.evidence_chunks (
    evidence_id uuid NOT NULL REFERENCES {schema}.evidence (id) ON DELETE CASCADE,
    n integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (evidence_id, n)
);
