-- The officer workflow: receipt separate from submission, the SLA clock (pauses, the
-- original committed date kept beside the one in force, the statutory date), the pending
-- proposal, and the once-only at-risk/overdue flags (one per committed date).
ALTER TABLE dossier_case
    ADD COLUMN procedure_name      text        NOT NULL DEFAULT '',
    ADD COLUMN catalog_version     text        NOT NULL DEFAULT '',
    ADD COLUMN terms               jsonb       NOT NULL
        DEFAULT '{"committed_days": 0, "statutory_days": 0}',
    ADD COLUMN applicant_search    text        NOT NULL DEFAULT '',
    ADD COLUMN submitted_at        timestamptz,
    ADD COLUMN original_due_date   date,
    ADD COLUMN statutory_due_date  date,
    ADD COLUMN paused_at           timestamptz,
    ADD COLUMN proposal            text,
    ADD COLUMN supplement_deadline date,
    ADD COLUMN decided_at          timestamptz,
    ADD COLUMN sla_result          text,
    ADD COLUMN at_risk_flagged_for date,
    ADD COLUMN overdue_flagged_for date;
UPDATE dossier_case SET submitted_at = received_at, original_due_date = due_date,
                        applicant_search = lower(applicant_name);
ALTER TABLE dossier_case
    ALTER COLUMN submitted_at SET NOT NULL,
    ALTER COLUMN received_at DROP NOT NULL;

-- The scanner looks only at dossiers whose clock runs.
CREATE INDEX dossier_case_deadline ON dossier_case (due_date)
    WHERE status IN ('accepted', 'in_progress');

ALTER TABLE case_audit
    ADD COLUMN actor_role text,
    ADD COLUMN detail     jsonb NOT NULL DEFAULT '{}';
CREATE INDEX case_audit_dossier ON case_audit (dossier_id, id);

-- The result document an approval carries (one per dossier, never replaced).
CREATE TABLE result_document (
    dossier_id   uuid        PRIMARY KEY REFERENCES dossier_case (id),
    filename     text        NOT NULL,
    content_type text        NOT NULL,
    size         int         NOT NULL,
    sha256       text        NOT NULL,
    content      bytea       NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);
