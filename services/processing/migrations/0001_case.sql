-- A dossier as the department works on it. `version` guards against two officers acting
-- on one dossier at once: an update names the version it read.
CREATE TABLE dossier_case (
    id              uuid PRIMARY KEY,
    code            text        NOT NULL UNIQUE,
    procedure_code  text        NOT NULL,
    department_code text        NOT NULL,
    applicant_name  text        NOT NULL,
    fee             numeric     NOT NULL,
    fee_paid        boolean     NOT NULL DEFAULT false,
    return_method   text        NOT NULL,
    received_at     timestamptz NOT NULL,
    due_date        date        NOT NULL,
    status          text        NOT NULL,
    outcome         text,
    version         int         NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_case_queue ON dossier_case (department_code, status, due_date);

-- Every action and automatic transition, never updated nor deleted.
CREATE TABLE case_audit (
    id          bigserial PRIMARY KEY,
    dossier_id  uuid        NOT NULL REFERENCES dossier_case (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    from_status text,
    to_status   text        NOT NULL,
    reason      text
);
CREATE FUNCTION case_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_audit is append-only';
END $$;
CREATE TRIGGER case_audit_no_change BEFORE UPDATE OR DELETE ON case_audit
    FOR EACH ROW EXECUTE FUNCTION case_audit_is_append_only();
