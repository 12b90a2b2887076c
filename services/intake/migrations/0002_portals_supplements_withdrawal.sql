-- Issue 4: who submitted (citizen or helper), through which channel, the statutory due date
-- beside the committed one, and the portal's supplement and withdrawal requests.
ALTER TABLE dossier
    ADD COLUMN channel                 text  NOT NULL DEFAULT 'online',
    ADD COLUMN submitted_by            jsonb NOT NULL DEFAULT '{"kind": "citizen"}',
    ADD COLUMN statutory_due_date      date,
    ADD COLUMN withdrawal_requested_at timestamptz,
    ADD COLUMN withdrawal_event_id     uuid;

-- One supplement answers one supplement request: a second, different one is a conflict,
-- the same one again is a replay.
CREATE TABLE dossier_supplement (
    answers_event_id uuid PRIMARY KEY,
    dossier_id       uuid        NOT NULL REFERENCES dossier (id),
    event_id         uuid        NOT NULL,
    request_sha256   text        NOT NULL,
    provided_at      timestamptz NOT NULL,
    documents        jsonb       NOT NULL
);
CREATE INDEX dossier_supplement_by_dossier ON dossier_supplement (dossier_id);
