-- Whether an endorsement round was opened in an experiment's current cycle: a plan revised
-- then is put to residents in a new round, and subscribers hear `endorsement.opened` for it.
-- The outbox keeps this beside the experiment's municipality, from the decisions it reads.
ALTER TABLE {schema}.outbox_experiments
    ADD COLUMN IF NOT EXISTS round_in_cycle boolean NOT NULL DEFAULT false;
