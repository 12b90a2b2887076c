-- What the officer console shows beside the case, a read model written from the events
-- processing consumes and read by no rule: who applied and who submitted for them, the
-- documents (references only: the bytes stay in the document store, addressed by SHA-256),
-- and what the other services report about the dossier's fee, parcel and messages.
CREATE TABLE case_file (
    dossier_id     uuid PRIMARY KEY,
    applicant      jsonb NOT NULL,
    submitted_by   jsonb,
    postal_address text,
    channel        text  NOT NULL DEFAULT 'online'
);

CREATE TABLE case_document (
    dossier_id   uuid        NOT NULL,
    sha256       text        NOT NULL,
    kind         text        NOT NULL,
    filename     text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL,
    source       text        NOT NULL,  -- submission | supplement
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (dossier_id, sha256)
);

-- One row per event of payment, postal or notification about the dossier; `subject` is the
-- payment, shipment or message it is about, so the console shows each one's latest state.
CREATE TABLE case_activity (
    event_id   uuid        PRIMARY KEY,
    dossier_id uuid        NOT NULL,
    kind       text        NOT NULL,  -- payment | shipment | message
    subject    text        NOT NULL,
    status     text        NOT NULL,
    at         timestamptz NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX case_activity_dossier ON case_activity (dossier_id, kind, at);
