-- Issue 16: the timeline is append-only and tamper-evident. Each dossier's entries form a
-- hash chain: an entry's hash is SHA-256 over its canonical content and the hash of the entry
-- before it (``seq`` orders them, per dossier). The current head is published (tracking
-- page, portal's view), so whoever kept a head can tell a rewritten chain from the real one;
-- ``verify_timeline`` recomputes a chain and names its first bad entry.

ALTER TABLE dossier_timeline ADD COLUMN seq int, ADD COLUMN prev_hash text,
                             ADD COLUMN entry_hash text;

-- The canonical content: a JSON array of the entry's fields (jsonb's text is deterministic:
-- keys sorted, one spelling per value) with the time in UTC to the microsecond.
CREATE FUNCTION timeline_entry_hash(seq int, event_id uuid, dossier_id uuid,
                                    occurred_at timestamptz, event_type text, producer text,
                                    status text, detail jsonb, prev_hash text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(jsonb_build_array(
        seq, event_id::text, dossier_id::text,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        event_type, producer, status, detail, prev_hash)::text, 'UTF8')), 'hex')
$$;

-- Entries already there are chained in the order they were shown in.
DO $$
DECLARE
    entry record;
    previous text;
    current_dossier uuid;
    n int;
BEGIN
    FOR entry IN SELECT * FROM dossier_timeline ORDER BY dossier_id, occurred_at, event_id LOOP
        IF current_dossier IS DISTINCT FROM entry.dossier_id THEN
            current_dossier := entry.dossier_id; previous := ''; n := 0;
        END IF;
        n := n + 1;
        UPDATE dossier_timeline SET seq = n, prev_hash = previous,
            entry_hash = timeline_entry_hash(n, entry.event_id, entry.dossier_id,
                entry.occurred_at, entry.event_type, entry.producer, entry.status,
                entry.detail, previous)
        WHERE event_id = entry.event_id
        RETURNING entry_hash INTO previous;
    END LOOP;
END $$;

ALTER TABLE dossier_timeline ALTER COLUMN seq SET NOT NULL,
                             ALTER COLUMN prev_hash SET NOT NULL,
                             ALTER COLUMN entry_hash SET NOT NULL,
                             ADD CONSTRAINT dossier_timeline_chain UNIQUE (dossier_id, seq);

-- A new entry takes the next place in its dossier's chain, under the dossier's row lock (two
-- events of one dossier committing at once are chained one after the other). Whatever the
-- inserting code says about seq or hashes is overwritten.
CREATE FUNCTION dossier_timeline_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
BEGIN
    PERFORM 1 FROM dossier WHERE id = NEW.dossier_id FOR UPDATE;
    SELECT seq, entry_hash INTO last FROM dossier_timeline
        WHERE dossier_id = NEW.dossier_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.entry_hash, '');
    NEW.entry_hash := timeline_entry_hash(NEW.seq, NEW.event_id, NEW.dossier_id,
        NEW.occurred_at, NEW.event_type, NEW.producer, NEW.status, NEW.detail, NEW.prev_hash);
    RETURN NEW;
END $$;
CREATE TRIGGER dossier_timeline_chained BEFORE INSERT ON dossier_timeline
    FOR EACH ROW EXECUTE FUNCTION dossier_timeline_chain();

CREATE FUNCTION dossier_timeline_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dossier_timeline is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER dossier_timeline_no_change BEFORE UPDATE OR DELETE ON dossier_timeline
    FOR EACH ROW EXECUTE FUNCTION dossier_timeline_is_append_only();
CREATE TRIGGER dossier_timeline_no_truncate BEFORE TRUNCATE ON dossier_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION dossier_timeline_is_append_only();

-- Recomputes one dossier's chain: every entry whose stored hash or link does not match,
-- in chain order (the first row is the first bad entry); none when the chain is whole.
CREATE FUNCTION verify_timeline(dossier uuid)
    RETURNS TABLE (seq int, event_id uuid, problem text) LANGUAGE sql STABLE AS $$
    SELECT t.seq, t.event_id,
           CASE WHEN t.seq <> t.expected_seq THEN 'out of place: entry ' || t.expected_seq
                    || ' is missing or the entries were reordered'
                WHEN t.prev_hash <> t.expected_prev THEN 'its link to the entry before it '
                    || 'is broken (an entry was removed, inserted or reordered)'
                ELSE 'its content was edited (its hash does not match)' END
    FROM (SELECT d.*, row_number() OVER w AS expected_seq,
                 coalesce(lag(d.entry_hash) OVER w, '') AS expected_prev
          FROM dossier_timeline d WHERE d.dossier_id = dossier
          WINDOW w AS (ORDER BY d.seq)) t
    WHERE t.seq <> t.expected_seq OR t.prev_hash <> t.expected_prev
       OR t.entry_hash <> timeline_entry_hash(t.seq, t.event_id, t.dossier_id, t.occurred_at,
              t.event_type, t.producer, t.status, t.detail, t.prev_hash)
    ORDER BY t.seq
$$;
