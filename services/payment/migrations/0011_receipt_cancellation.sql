-- A receipt issued in error (the reconciliation's missing_at_gateway: the gateway never took
-- the money) is cancelled, never deleted or renumbered: its number stays used, the sequence
-- keeps no gap, and the cancellation says when, by whom and why.
ALTER TABLE receipt ADD COLUMN cancelled_at timestamptz;
ALTER TABLE receipt ADD COLUMN cancelled_by text;
ALTER TABLE receipt ADD COLUMN cancel_reason text;
ALTER TABLE receipt ADD CONSTRAINT receipt_cancelled_whole CHECK (
    (cancelled_at IS NULL) = (cancelled_by IS NULL)
    AND (cancelled_at IS NULL) = (cancel_reason IS NULL));
