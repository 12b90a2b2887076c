-- The daily reconciliation (issue 11, item 6) settles from the gateway's settlement file an
-- order it paid that we still think open: its word is recorded as the IPN's is.
ALTER TABLE payment_order DROP CONSTRAINT payment_order_settled_by_check;
ALTER TABLE payment_order ADD CONSTRAINT payment_order_settled_by_check
    CHECK (settled_by IN ('ipn', 'querydr', 'reconciliation'));

-- The scheduled run, one row per settlement day, claimed by the shared side-effect loop
-- when due (PAYMENT_RECONCILE_AT, GMT+7, the day after); each run schedules the next day.
CREATE TABLE reconciliation_run (
    id                 uuid PRIMARY KEY,
    settlement_date    date        NOT NULL UNIQUE,
    status             text        NOT NULL DEFAULT 'scheduled',
    attempts           int         NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL,
    last_error         text,
    pending_since      timestamptz,
    summary            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_run_due ON reconciliation_run (next_attempt_at)
    WHERE status = 'scheduled';
