-- Who and where to return a result to, from the submission (postal return only).
CREATE TABLE recipient (
    dossier_id   uuid PRIMARY KEY,
    dossier_code text NOT NULL,
    full_name    text NOT NULL,
    phone        text NOT NULL,
    address      text NOT NULL
);

-- One shipment of the result per dossier; its id is the carrier's idempotency key.
CREATE TABLE shipment (
    id                 uuid PRIMARY KEY,
    dossier_id         uuid        NOT NULL UNIQUE REFERENCES recipient (dossier_id),
    dossier_code       text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending',
    tracking_code      text,
    attempts           int         NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_error         text,
    causation_event_id uuid        NOT NULL,
    correlation_id     uuid        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipment_due ON shipment (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION shipment_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shipment', '');
    RETURN NULL;
END $$;
CREATE TRIGGER shipment_inserted AFTER INSERT ON shipment
    FOR EACH STATEMENT EXECUTE FUNCTION shipment_notify();
