-- Who read which history, export, past state or people list.
CREATE TABLE IF NOT EXISTS {schema}.access_records (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    key_id uuid NOT NULL,
    actor_id text NOT NULL,
    role text NOT NULL,
    reader_municipality text NOT NULL,
    municipality text NOT NULL,
    action text NOT NULL,
    experiment_id uuid,
    detail jsonb NOT NULL DEFAULT '{{}}'
);

CREATE INDEX IF NOT EXISTS access_records_by_town ON {schema}.access_records (municipality, id);
