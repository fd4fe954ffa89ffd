-- The outbox: one row per event and subscription, written in the same transaction as the
-- outbox's tracking position (so each is enqueued exactly once, whatever crashes), then
-- delivered by a Temporal workflow per row. `webhook_id` is stable across retries: a
-- receiver deduplicates by it. Each attempt is logged.
CREATE TABLE IF NOT EXISTS {schema}.outbox_experiments (
    experiment_id uuid PRIMARY KEY,
    municipality text NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.deliveries (
    id uuid PRIMARY KEY,
    webhook_id text NOT NULL UNIQUE,
    subscription_id uuid NOT NULL REFERENCES {schema}.subscriptions (id),
    event_type text NOT NULL,
    position bigint NOT NULL,
    experiment_id uuid,
    body jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    next_attempt_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    finished_at timestamptz,
    UNIQUE (subscription_id, position, event_type)
);

CREATE INDEX IF NOT EXISTS deliveries_by_subscription
    ON {schema}.deliveries (subscription_id, created_at DESC);
CREATE INDEX IF NOT EXISTS deliveries_not_dispatched
    ON {schema}.deliveries (created_at) WHERE dispatched_at IS NULL;

CREATE TABLE IF NOT EXISTS {schema}.delivery_attempts (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES {schema}.deliveries (id),
    at timestamptz NOT NULL DEFAULT now(),
    status_code integer,
    error text,
    duration_ms integer NOT NULL
);

CREATE INDEX IF NOT EXISTS delivery_attempts_by_delivery
    ON {schema}.delivery_attempts (delivery_id, id);
