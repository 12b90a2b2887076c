-- Issue 13: what proves a citizen may act on a dossier on intake's citizen pages, and the
-- citizen's one rating of the service.
--
-- The secret is printed on the receipt (Mẫu 01) and nowhere else: 40 random bits (from
-- gen_random_uuid, PostgreSQL's strong random source) as 10 upper-case hex digits. It is kept
-- in clear because the receipt can be printed again; every dossier already received gets its
-- own (a volatile default is evaluated per row).
ALTER TABLE dossier
    ADD COLUMN citizen_secret text NOT NULL
        DEFAULT upper(substr(md5(gen_random_uuid()::text), 1, 10));

-- One rating per dossier: the primary key refuses a second one, whoever sends it.
CREATE TABLE dossier_rating (
    dossier_id uuid        PRIMARY KEY REFERENCES dossier (id),
    event_id   uuid        NOT NULL,
    rating     text        NOT NULL
        CHECK (rating IN ('very_satisfied', 'satisfied', 'unsatisfied')),
    comment    text,
    rated_at   timestamptz NOT NULL,
    rated_via  text        NOT NULL  -- 'citizen_page', or the portal that sent it
);
