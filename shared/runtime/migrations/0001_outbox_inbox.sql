-- The transactional outbox: events written in the same transaction as the state change
-- that caused them, published by the relay in id order, then marked sent.
CREATE TABLE outbox_message (
    id          bigserial PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    payload     bytea       NOT NULL,
    headers     jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_message_unsent ON outbox_message (id) WHERE sent_at IS NULL;

-- Wake the relay as soon as a transaction with new events commits (NOTIFY is delivered
-- at commit, and identical notifications in one transaction are folded into one).
CREATE FUNCTION outbox_message_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_message', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_message_inserted AFTER INSERT ON outbox_message
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_message_notify();

-- The inbox: one row per (consumer, event) in the same transaction as the effects,
-- so a redelivered event changes nothing.
CREATE TABLE inbox_message (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
