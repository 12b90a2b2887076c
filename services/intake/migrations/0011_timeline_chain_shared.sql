-- Issue 16: the timeline's chain uses the hashing and the judgement every audit chain shares
-- (shared/runtime/migrations/0003_audit_chain.sql), so processing's case audit is chained
-- and verified by the same SQL. The canonical content is unchanged, so every hash already
-- stored (and every head already published) stays what it was.

CREATE OR REPLACE FUNCTION timeline_entry_hash(seq int, event_id uuid, dossier_id uuid,
                                               occurred_at timestamptz, event_type text,
                                               producer text, status text, detail jsonb,
                                               prev_hash text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT audit_chain_hash(jsonb_build_array(
        seq, event_id::text, dossier_id::text, audit_chain_utc(occurred_at),
        event_type, producer, status, detail, prev_hash))
$$;

CREATE OR REPLACE FUNCTION verify_timeline(dossier uuid)
    RETURNS TABLE (seq int, event_id uuid, problem text) LANGUAGE sql STABLE AS $$
    SELECT t.seq, t.event_id, t.problem
    FROM (SELECT d.seq, d.event_id, audit_chain_problem(
                     d.seq, row_number() OVER w, d.prev_hash,
                     coalesce(lag(d.entry_hash) OVER w, ''), d.entry_hash,
                     timeline_entry_hash(d.seq, d.event_id, d.dossier_id, d.occurred_at,
                                         d.event_type, d.producer, d.status, d.detail,
                                         d.prev_hash)) AS problem
          FROM dossier_timeline d WHERE d.dossier_id = dossier
          WINDOW w AS (ORDER BY d.seq)) t
    WHERE t.problem IS NOT NULL
    ORDER BY t.seq
$$;
