-- Issue 12: a structured address, shipments tracked through the carrier's states, reshipment,
-- the citizen's redelivery choice, and postage.

-- The structured address (shared.contracts.events.PostalAddress as JSON); ``address`` keeps
-- the one-line form (the only one events older than issue 12 carry).
ALTER TABLE recipient ADD COLUMN postal_address jsonb;
ALTER TABLE recipient ADD COLUMN department_code text;
ALTER TABLE recipient ADD COLUMN postage numeric(12, 0);
ALTER TABLE recipient ADD COLUMN postage_source text;

-- A result may be shipped more than once (lost, damaged, or returned and asked for again):
-- one row per attempt, each with its own client order code, the carrier's idempotency key.
ALTER TABLE shipment DROP CONSTRAINT shipment_dossier_id_key;
ALTER TABLE shipment ADD COLUMN attempt int NOT NULL DEFAULT 1;
ALTER TABLE shipment ADD CONSTRAINT shipment_attempt UNIQUE (dossier_id, attempt);
ALTER TABLE shipment ADD COLUMN client_order_code text UNIQUE;
ALTER TABLE shipment ADD COLUMN carrier text;
-- ``status`` is the hand-over (pending → created | failed, the side-effect loop's);
-- ``carrier_status`` is where the parcel is (the carrier's vocabulary, ShipmentStatus),
-- as of ``carrier_status_at``, the carrier's own time of that update.
ALTER TABLE shipment ADD COLUMN carrier_status text;
ALTER TABLE shipment ADD COLUMN carrier_status_at timestamptz;
ALTER TABLE shipment ADD COLUMN received_by text;
ALTER TABLE shipment ADD COLUMN postage numeric(12, 0);
-- When postal last heard of the parcel (a confirmed update) or asked the carrier (a poll).
ALTER TABLE shipment ADD COLUMN heard_at timestamptz;
ALTER TABLE shipment ADD COLUMN polled_at timestamptz;
CREATE INDEX shipment_tracked ON shipment (heard_at) WHERE status = 'created';
CREATE UNIQUE INDEX shipment_tracking_code ON shipment (tracking_code);

-- Every confirmed update, once: a duplicate webhook, or a poll that finds it again, is
-- ignored by this key. ``applied``: it moved the parcel (a late one is kept, not applied).
CREATE TABLE shipment_update (
    shipment_id uuid        NOT NULL REFERENCES shipment (id),
    status      text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    reason      text,
    applied     boolean     NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shipment_id, status, changed_at)
);

-- What postal asks the carrier about a parcel already handed over: deliver it again, or
-- bring it back to the office. A side effect of its own (shared/runtime/effects); the id is
-- derived from the citizen's request event.
CREATE TABLE carrier_request (
    id                 uuid PRIMARY KEY,
    shipment_id        uuid        NOT NULL REFERENCES shipment (id),
    kind               text        NOT NULL CHECK (kind IN ('redeliver', 'return')),
    dossier_id         uuid        NOT NULL,
    dossier_code       text        NOT NULL,
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
CREATE INDEX carrier_request_due ON carrier_request (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION carrier_request_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('carrier_request', '');
    RETURN NULL;
END $$;
CREATE TRIGGER carrier_request_inserted AFTER INSERT ON carrier_request
    FOR EACH STATEMENT EXECUTE FUNCTION carrier_request_notify();

-- The postage of a postal return, quoted at submission by the carrier's fee preview (a side
-- effect of its own, read-only at the carrier); when the carrier cannot answer, the catalog's
-- figure (``catalog_amount``, kept on the recipient until the carrier's replaces it).
CREATE TABLE postage_quote (
    id                 uuid PRIMARY KEY,
    dossier_id         uuid        NOT NULL UNIQUE REFERENCES recipient (dossier_id),
    dossier_code       text        NOT NULL,
    catalog_amount     numeric(12, 0) NOT NULL,
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
CREATE INDEX postage_quote_due ON postage_quote (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION postage_quote_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('postage_quote', '');
    RETURN NULL;
END $$;
CREATE TRIGGER postage_quote_inserted AFTER INSERT ON postage_quote
    FOR EACH STATEMENT EXECUTE FUNCTION postage_quote_notify();
