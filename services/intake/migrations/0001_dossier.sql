CREATE TABLE dossier (
    id                   uuid PRIMARY KEY,
    code                 text        NOT NULL UNIQUE,
    portal               text        NOT NULL,
    portal_submission_id text        NOT NULL,
    request_sha256       text        NOT NULL,
    procedure_code       text        NOT NULL,
    department_code      text        NOT NULL,
    catalog_version      text        NOT NULL,
    applicant            jsonb       NOT NULL,
    return_method        text        NOT NULL,
    postal_address       text,
    fee                  numeric     NOT NULL,
    status               text        NOT NULL,
    received_at          timestamptz NOT NULL,
    due_date             date        NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal, portal_submission_id)
);

CREATE TABLE dossier_document (
    dossier_id   uuid   NOT NULL REFERENCES dossier (id),
    position     int    NOT NULL,
    kind         text   NOT NULL,
    filename     text   NOT NULL,
    content_type text   NOT NULL,
    size         bigint NOT NULL,
    sha256       text   NOT NULL,
    PRIMARY KEY (dossier_id, position)
);

-- The public timeline: one row per event that concerns the dossier, whoever produced it.
CREATE TABLE dossier_timeline (
    event_id    uuid PRIMARY KEY,
    dossier_id  uuid        NOT NULL REFERENCES dossier (id),
    occurred_at timestamptz NOT NULL,
    event_type  text        NOT NULL,
    producer    text        NOT NULL,
    status      text,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX dossier_timeline_by_dossier ON dossier_timeline (dossier_id, occurred_at);

-- Dossier codes {agency}-{yyMMdd}-{NNNN}: one counter row per agency and business day,
-- incremented under its row lock, so concurrent intakes and replicas never share a number.
CREATE TABLE dossier_code_counter (
    agency_code   text NOT NULL,
    business_date date NOT NULL,
    last_number   int  NOT NULL,
    PRIMARY KEY (agency_code, business_date)
);
