-- A programme's municipality, which the outbox keeps from the programme's first event, as it
-- keeps an experiment's: `programme.report_due` goes to that municipality's subscriptions.
CREATE TABLE IF NOT EXISTS {schema}.outbox_programmes (
    programme_id uuid PRIMARY KEY,
    municipality text NOT NULL
);
