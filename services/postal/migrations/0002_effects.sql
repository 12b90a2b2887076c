-- The shared side-effect loop (shared/runtime/effects) asks again about a shipment the
-- carrier said is pending, without counting it as a failed attempt, until a day after the
-- first pending answer: it keeps that moment here. A shipment ends 'created' or
-- 'delivered', or 'failed' (refused by the carrier, or out of attempts).
ALTER TABLE shipment ADD COLUMN pending_since timestamptz;
