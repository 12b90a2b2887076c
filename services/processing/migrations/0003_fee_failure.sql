-- A fee that could not be collected for good (payment's PaymentFailed): the dossier keeps
-- waiting for it, clock paused, and shows when and why until the fee is paid.
ALTER TABLE dossier_case
    ADD COLUMN fee_failed_at      timestamptz,
    ADD COLUMN fee_failure_reason text;
