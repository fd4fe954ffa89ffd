-- Reminders by e-mail. The outbox learns who follows an experiment from its decisions
-- (`reminder_followers`) and writes one row per reminder and person in the same transaction
-- as its tracking position, so each is made exactly once. A reminder names the person by
-- pseudonymous id only; the address is looked up when the mail goes. `mail_preferences`
-- holds a person's choice: each reminder, a daily digest, or none.
ALTER TABLE {schema}.outbox_experiments ADD COLUMN IF NOT EXISTS title text;

CREATE TABLE IF NOT EXISTS {schema}.reminder_followers (
    experiment_id uuid NOT NULL,
    person_id text NOT NULL,
    role text NOT NULL,
    PRIMARY KEY (experiment_id, person_id, role)
);

CREATE TABLE IF NOT EXISTS {schema}.reminders (
    id uuid PRIMARY KEY,
    person_id text NOT NULL,
    kind text NOT NULL,
    experiment_id uuid NOT NULL,
    position bigint NOT NULL,
    data jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    claimed_by text,
    finished_at timestamptz,
    UNIQUE (person_id, position, kind)
);

CREATE INDEX IF NOT EXISTS reminders_not_dispatched
    ON {schema}.reminders (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX IF NOT EXISTS reminders_waiting_by_person
    ON {schema}.reminders (person_id, created_at) WHERE status IN ('pending', 'digest');

CREATE TABLE IF NOT EXISTS {schema}.mail_preferences (
    person_id text PRIMARY KEY,
    frequency text NOT NULL DEFAULT 'each',
    language text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
