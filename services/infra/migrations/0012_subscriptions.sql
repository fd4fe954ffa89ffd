-- Outbound event subscriptions: a receiver's address, the event types it is sent, its
-- signing secret encrypted at rest (the previous one kept for a grace period after a
-- rotation, so receivers can switch), and why it was disabled (a 410 Gone). A deleted
-- subscription keeps its row, so its log of deliveries still reads.
CREATE TABLE IF NOT EXISTS {schema}.subscriptions (
    id uuid PRIMARY KEY,
    municipality text NOT NULL,
    url text NOT NULL,
    event_types text[] NOT NULL,
    experiment_id uuid,
    -- Only events recorded after the subscription was made are sent.
    from_position bigint NOT NULL DEFAULT 0,
    secret bytea NOT NULL,
    previous_secret bytea,
    previous_valid_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz,
    disabled_at timestamptz,
    disabled_reason text,
    deleted_at timestamptz
);

CREATE INDEX IF NOT EXISTS subscriptions_by_municipality
    ON {schema}.subscriptions (municipality) WHERE deleted_at IS NULL;
