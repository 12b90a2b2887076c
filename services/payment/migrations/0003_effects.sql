-- The shared side-effect loop (shared/runtime/effects) asks again about a charge or refund
-- the gateway said is pending, without counting it as a failed attempt, until a day after
-- the first pending answer: it keeps that moment here.
ALTER TABLE payment ADD COLUMN pending_since timestamptz;
ALTER TABLE refund ADD COLUMN pending_since timestamptz;
