-- The shared side-effect loop (shared/runtime/effects) keeps the same retry columns on every
-- work table: when a row last changed, and since when its provider has said pending (an
-- SMTP server never does; the column is there for the loop's one statement).
ALTER TABLE email_message ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE email_message ADD COLUMN pending_since timestamptz;
