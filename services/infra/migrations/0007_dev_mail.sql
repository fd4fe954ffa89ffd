-- Mail `wijklab dev` did not send (no WIJKLAB_SMTP_URL): kept to be read at /dev/mail.
-- Production sends by SMTP and never writes here.
CREATE TABLE IF NOT EXISTS {schema}.dev_mail (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    sender text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL
);
