-- The broker incarnation the outbox relay last published to (one row). When the broker
-- says it is another one (an embedded broker restarted on empty storage), the relay
-- publishes its retained rows again: see shared.runtime.outbox.OutboxRelay.
CREATE TABLE outbox_broker_incarnation (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    incarnation text NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);
