-- Issue 16: officers' sign-in attempts, counted per account and per client address (keys are
-- hashes: 'account:<sha256>' or 'client:<sha256>'), one row per key and window, here so that
-- every processing replica shares one count. Rows past expires_at are swept by the next
-- attempt.
CREATE TABLE sign_in_attempt (
    key        text        PRIMARY KEY,
    attempts   int         NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempt_by_expiry ON sign_in_attempt (expires_at);
