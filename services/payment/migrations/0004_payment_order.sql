-- The citizen pays the fee through a link (issue 11): the fee ('payment') no longer charges
-- itself; each attempt to pay it is an order at the gateway with its own vnp_TxnRef.
-- A fee is 'requested' (waiting for the citizen) → 'completed' (paid by one order) →
-- 'refunded', or 'requested' → 'cancelled'. Its link carries an unguessable token.
ALTER TABLE payment ADD COLUMN pay_token text UNIQUE;
ALTER TABLE payment ADD COLUMN paid_order_id uuid;
DROP TRIGGER payment_inserted ON payment;  -- nothing claims fees any more
DROP INDEX payment_due;

CREATE TABLE payment_order (
    id                 uuid PRIMARY KEY,
    payment_id         uuid        NOT NULL REFERENCES payment (id),
    txn_ref            text        NOT NULL UNIQUE,
    amount             numeric     NOT NULL CHECK (amount > 0),
    state              text        NOT NULL DEFAULT 'created' CHECK (state IN
                           ('created', 'pending', 'succeeded', 'failed', 'cancelled', 'expired')),
    finished           boolean     GENERATED ALWAYS AS
                           (state IN ('succeeded', 'failed', 'cancelled', 'expired')) STORED,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    -- The gateway's word, once it spoke (IPN or querydr); NULL while it has not.
    settled_by         text        CHECK (settled_by IN ('ipn', 'querydr')),
    settled_at         timestamptz,
    response_code      text,
    transaction_status text,
    transaction_no     text,
    bank_code          text,
    paid_at            timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_order_of_payment ON payment_order (payment_id);

-- A missed IPN: a querydr about each order, due some minutes after the order expires (the
-- shared side-effect loop runs it; an IPN that settles the order first makes it unneeded).
CREATE TABLE order_check (
    id                 uuid PRIMARY KEY REFERENCES payment_order (id),
    dossier_id         uuid        NOT NULL,
    dossier_code       text        NOT NULL,
    status             text        NOT NULL DEFAULT 'scheduled',
    attempts           int         NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL,
    last_error         text,
    pending_since      timestamptz,
    causation_event_id uuid        NOT NULL,
    correlation_id     uuid        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_check_due ON order_check (next_attempt_at) WHERE status = 'scheduled';
CREATE FUNCTION order_check_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_check', '');
    RETURN NULL;
END $$;
CREATE TRIGGER order_check_inserted AFTER INSERT ON order_check
    FOR EACH STATEMENT EXECUTE FUNCTION order_check_notify();

-- A refund belongs to the order whose money goes back (a fee may see two paid orders: the
-- second is refunded at once). Its id, derived from the order's, keeps it to one per order.
ALTER TABLE refund DROP CONSTRAINT refund_payment_id_key;
ALTER TABLE refund ADD COLUMN order_id uuid REFERENCES payment_order (id);
CREATE UNIQUE INDEX refund_one_per_order ON refund (order_id);
