-- Finding 8: documents are written before the dossier that cites them commits. Each is
-- leased here first (staged_at), kept by that commit (kept_at), and swept when a lease grows
-- old unkept: the submission failed after storing it, and nothing references its bytes.
CREATE TABLE stored_document (
    sha256    text        PRIMARY KEY,
    size      bigint      NOT NULL,
    staged_at timestamptz NOT NULL,
    kept_at   timestamptz
);
CREATE INDEX stored_document_unkept ON stored_document (staged_at) WHERE kept_at IS NULL;

-- The bytes each portal's accepted documents took, per business day (the quota).
CREATE TABLE portal_storage_day (
    portal        text   NOT NULL,
    business_date date   NOT NULL,
    bytes         bigint NOT NULL,
    PRIMARY KEY (portal, business_date)
);
