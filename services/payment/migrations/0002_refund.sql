-- The procedure and catalog version each dossier was received under: the catalog decides
-- whether a paid fee goes back when the dossier ends without a result.
CREATE TABLE dossier_procedure (
    dossier_id      uuid PRIMARY KEY,
    procedure_code  text        NOT NULL,
    catalog_version text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A payment ends 'requested' → 'completed' → 'refunded', or 'requested' → 'cancelled'.
ALTER TABLE payment ADD COLUMN ended_because text;

-- At most one refund per payment. The refund id is the gateway's idempotency key, derived
-- from the payment id, so a retried request never refunds twice.
CREATE TABLE refund (
    id                     uuid PRIMARY KEY,
    payment_id             uuid        NOT NULL UNIQUE REFERENCES payment (id),
    dossier_id             uuid        NOT NULL,
    dossier_code           text        NOT NULL,
    amount                 numeric     NOT NULL CHECK (amount > 0),
    cause                  text        NOT NULL,
    status                 text        NOT NULL DEFAULT 'requested',
    gateway_refund_id      text,
    attempts               int         NOT NULL DEFAULT 0,
    next_attempt_at        timestamptz NOT NULL DEFAULT now(),
    last_error             text,
    causation_event_id     uuid        NOT NULL,
    correlation_id         uuid        NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refund_due ON refund (next_attempt_at) WHERE status = 'requested';

CREATE FUNCTION refund_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('refund', '');
    RETURN NULL;
END $$;
CREATE TRIGGER refund_inserted AFTER INSERT ON refund
    FOR EACH STATEMENT EXECUTE FUNCTION refund_notify();
