-- Issue 16: a portal signature (version 2) carries a nonce, remembered here for as long as
-- its timestamp could pass, so that every intake replica refuses the same request twice.
-- ``origin`` names the Kafka record that used it (topic/partition/offset): the same record
-- delivered again after a crash is not a replay; an HTTP nonce has none.
CREATE TABLE portal_nonce (
    portal     text        NOT NULL,
    nonce      text        NOT NULL,
    origin     text        NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (portal, nonce)
);
CREATE INDEX portal_nonce_by_expiry ON portal_nonce (expires_at);
