-- Notify's message model, for every channel: one row per (event, channel, recipient), with
-- the template id AND version it was written from (and the values, so it can be re-rendered
-- from that version), the delivery status in GOV.UK Notify's vocabulary and the time of each
-- change (message_status_change), the provider's id and answer. ``status`` is the side-effect
-- loop's work state (pending → sent | failed); ``delivery_status`` is what the citizen got.
CREATE TABLE message (
    id                 uuid PRIMARY KEY,  -- the Message-ID's local part, the SMS RequestId
    dossier_id         uuid        NOT NULL,
    dossier_code       text        NOT NULL,  -- Notify's "reference"
    channel            text        NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient          text        NOT NULL,
    audience           text        NOT NULL DEFAULT 'applicant',
    template_id        text        NOT NULL,
    template_version   int         NOT NULL CHECK (template_version >= 1),
    template_values    jsonb       NOT NULL,
    subject            text,
    body               text        NOT NULL,
    encoding           text,                  -- sms: gsm7 or ucs2
    segments           int,                   -- sms: how many parts the operator bills
    delivery_status    text        NOT NULL DEFAULT 'created',
    provider_id        text,                  -- eSMS SMSID; the SMTP server's queue answer
    provider_answer    text,
    status             text        NOT NULL DEFAULT 'pending',
    attempts           int         NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_error         text,
    pending_since      timestamptz,
    causation_event_id uuid        NOT NULL,
    correlation_id     uuid        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_due ON message (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX message_dossier ON message (dossier_code, created_at);

CREATE TABLE message_status_change (
    message_id uuid        NOT NULL REFERENCES message (id),
    status     text        NOT NULL,
    at         timestamptz NOT NULL,
    detail     text,
    PRIMARY KEY (message_id, status)   -- each status once: a duplicate report changes nothing
);

CREATE FUNCTION message_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('message', '');
    RETURN NULL;
END $$;
CREATE TRIGGER message_inserted AFTER INSERT ON message
    FOR EACH STATEMENT EXECUTE FUNCTION message_notify();

-- How the applicant wants to be told (NULL: every channel with an address).
ALTER TABLE contact ADD COLUMN channels text[];
-- The fee's payment link, from PaymentRequested, for a reminder (FeePaymentDue) without one.
ALTER TABLE contact ADD COLUMN pay_url text;

-- The emails of before: kept as messages of template version 1 (their text as it was sent).
INSERT INTO message (id, dossier_id, dossier_code, channel, recipient, template_id,
                     template_version, template_values, subject, body, delivery_status,
                     status, attempts, next_attempt_at, last_error, pending_since,
                     causation_event_id, correlation_id, created_at, updated_at)
SELECT id, dossier_id, dossier_code, 'email', to_address, template, 1, '{}'::jsonb, subject,
       body, CASE status WHEN 'sent' THEN 'delivered' WHEN 'failed' THEN 'technical-failure'
                         ELSE 'created' END,
       status, attempts, next_attempt_at, last_error, pending_since, causation_event_id,
       correlation_id, created_at, updated_at
FROM email_message;
DROP TABLE email_message;
DROP FUNCTION email_message_notify();
