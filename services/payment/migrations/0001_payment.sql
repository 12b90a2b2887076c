-- One fee payment per dossier. The payment id is the gateway's idempotency key, so a
-- retried request never charges twice.
CREATE TABLE payment (
    id                     uuid PRIMARY KEY,
    dossier_id             uuid        NOT NULL UNIQUE,
    dossier_code           text        NOT NULL,
    amount                 numeric     NOT NULL CHECK (amount > 0),
    status                 text        NOT NULL DEFAULT 'requested',
    gateway_transaction_id text,
    attempts               int         NOT NULL DEFAULT 0,
    next_attempt_at        timestamptz NOT NULL DEFAULT now(),
    last_error             text,
    causation_event_id     uuid        NOT NULL,
    correlation_id         uuid        NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_due ON payment (next_attempt_at) WHERE status = 'requested';

CREATE FUNCTION payment_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('payment', '');
    RETURN NULL;
END $$;
CREATE TRIGGER payment_inserted AFTER INSERT ON payment
    FOR EACH STATEMENT EXECUTE FUNCTION payment_notify();
