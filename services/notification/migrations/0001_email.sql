-- How to reach the applicant of each dossier, from the submission.
CREATE TABLE contact (
    dossier_id     uuid PRIMARY KEY,
    dossier_code   text NOT NULL,
    full_name      text NOT NULL,
    email          text NOT NULL,
    phone          text NOT NULL,
    procedure_name text NOT NULL
);

-- Emails to send. The id is the Message-ID's local part, so a retry is recognisable.
CREATE TABLE email_message (
    id                 uuid PRIMARY KEY,
    dossier_id         uuid        NOT NULL REFERENCES contact (dossier_id),
    dossier_code       text        NOT NULL,
    template           text        NOT NULL,
    to_address         text        NOT NULL,
    subject            text        NOT NULL,
    body               text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending',
    attempts           int         NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_error         text,
    causation_event_id uuid        NOT NULL,
    correlation_id     uuid        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz
);
CREATE INDEX email_message_due ON email_message (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION email_message_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('email_message', '');
    RETURN NULL;
END $$;
CREATE TRIGGER email_message_inserted AFTER INSERT ON email_message
    FOR EACH STATEMENT EXECUTE FUNCTION email_message_notify();
