-- Issue 12: the postage of a postal return is collected with the fee, a line of its own.
-- Postal quotes it at submission (PostageQuoted, on postal.events: it may come before or
-- after the dossier's events here); a postal-return fee accepted before the quote waits for
-- it, so the amount the citizen is asked for never changes after the link went out.
CREATE TABLE postage (
    dossier_id uuid PRIMARY KEY,
    amount     numeric NOT NULL CHECK (amount >= 0),
    source     text    NOT NULL
);
CREATE TABLE fee_awaiting_postage (
    dossier_id         uuid PRIMARY KEY,
    dossier_code       text    NOT NULL,
    fee                numeric NOT NULL CHECK (fee > 0),
    causation_event_id uuid    NOT NULL,
    correlation_id     uuid    NOT NULL
);
ALTER TABLE payment ADD COLUMN postage numeric NOT NULL DEFAULT 0 CHECK (postage >= 0);
