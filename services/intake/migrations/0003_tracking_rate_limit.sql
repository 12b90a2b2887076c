-- Finding 3: the public tracking limit is counted here, so every intake replica shares it.
-- One row per key (a hashed client address, or a dossier code) and fixed window.
CREATE TABLE rate_limit_window (
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         int         NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_window_by_expiry ON rate_limit_window (expires_at);
