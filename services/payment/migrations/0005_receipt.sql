-- The receipt (biên lai) of each paid fee (issue 11, item 8). Payment keeps the payer's
-- name and the receiving agency from DossierSubmitted; dossiers received before this
-- migration have neither, and their receipts fall back (see docs/payment.md).
ALTER TABLE dossier_procedure ADD COLUMN agency_code text;
ALTER TABLE dossier_procedure ADD COLUMN payer_name text;

-- Receipt numbers run without gaps per agency and year: <agency>-<yyyy>-<NNNNNN>. The row
-- is locked by the transaction that records the payment, so numbers follow commit order.
CREATE TABLE receipt_sequence (
    agency_code text NOT NULL,
    year        int  NOT NULL,
    last_number int  NOT NULL,
    PRIMARY KEY (agency_code, year)
);

CREATE TABLE receipt (
    number         text PRIMARY KEY,
    payment_id     uuid        NOT NULL UNIQUE REFERENCES payment (id),
    order_id       uuid        NOT NULL REFERENCES payment_order (id),
    dossier_id     uuid        NOT NULL,
    dossier_code   text        NOT NULL,
    agency_code    text        NOT NULL,
    payer_name     text,
    lines          jsonb       NOT NULL,
    amount         numeric     NOT NULL CHECK (amount > 0),
    transaction_no text,
    paid_at        timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_of_dossier ON receipt (dossier_code);
