-- A programme's municipality, which the outbox keeps from the programme's first event, as it
-- keeps an experiment's: `programme.report_due` goes to that municipality's subscriptions.
CREATE TABLE IF NOT EXISTS {schema}.outbox_programmes (
    programme_id uuid PRIMARY KEY,
    municipality text NOT NULL
);

-- Whether an experiment runs under endorsement rounds (`rules` 2 at its start): then a plan
-- is put to residents when a round opens, not each time it is revised, and only that
-- reminds them.
ALTER TABLE {schema}.outbox_experiments
    ADD COLUMN IF NOT EXISTS rounds boolean NOT NULL DEFAULT false;

-- Where a delivery's decision was traced (a W3C `traceparent`), so the delivery continues
-- its trace; null when tracing was off.
ALTER TABLE {schema}.deliveries ADD COLUMN IF NOT EXISTS trace jsonb;
