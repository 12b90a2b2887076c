-- Reporting owns nothing but what it reads: the read model lives in a schema per build
-- (repository/read_model.sql), and `reporting_current` names the one queries read and live
-- events go to. A rebuild fills a fresh schema from the topics, then moves the pointer in one
-- transaction (services/reporting/rebuild.py).
CREATE TABLE reporting_build (
    schema_name text PRIMARY KEY CHECK (schema_name ~ '^rm_[a-z0-9_]+$'),
    source text NOT NULL CHECK (source IN ('live', 'rebuild')),
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    events bigint,
    high_water_marks jsonb
);

CREATE TABLE reporting_current (
    id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    schema_name text NOT NULL REFERENCES reporting_build (schema_name),
    switched_at timestamptz NOT NULL DEFAULT now()
);
