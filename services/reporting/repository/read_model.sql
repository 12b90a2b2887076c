-- One build of the read model, in its own schema ({schema} is replaced by its name).
CREATE SCHEMA {schema};

-- Every event the build has read, personal data removed; event_id makes a replay idempotent.
CREATE TABLE {schema}.event (
    seq bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    dossier_id uuid NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload jsonb NOT NULL
);
CREATE INDEX ON {schema}.event (dossier_id);

-- Dossiers whose events arrived since their facts were last folded: the live consumer only
-- records (two statements an event), and folding runs once per dossier for many events.
CREATE TABLE {schema}.dirty (
    dossier_id uuid PRIMARY KEY
);

-- A dossier's facts, folded from its events (services/reporting/domain/facts.py).
CREATE TABLE {schema}.dossier (
    dossier_id uuid PRIMARY KEY,
    code text,
    agency text,
    department text,
    procedure text,
    received_on date,
    facts jsonb NOT NULL
);
CREATE INDEX ON {schema}.dossier (agency, received_on);
