-- Issue 16: processing's audit trail is tamper-evident as intake's timeline is. Each
-- dossier's entries form a hash chain (``seq`` orders them): an entry's hash is SHA-256 over
-- its canonical content and the hash of the entry before it, by the SQL every chain shares
-- (shared/runtime/migrations/0003_audit_chain.sql). The head is published with the events
-- written in the same statement (their ``audit_head``); ``verify_case_audit`` recomputes a
-- chain and names its first bad entry. TRUNCATE is refused too, as UPDATE and DELETE are.

ALTER TABLE case_audit ADD COLUMN seq int, ADD COLUMN prev_hash text,
                       ADD COLUMN entry_hash text;

-- The canonical content: every field an officer or the system wrote, the time in UTC to the
-- microsecond; not ``id`` (a sequence's number says nothing an auditor can check).
CREATE FUNCTION case_audit_entry_hash(seq int, dossier_id uuid, at timestamptz, actor text,
                                      actor_role text, action text, from_status text,
                                      to_status text, reason text, detail jsonb,
                                      prev_hash text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT audit_chain_hash(jsonb_build_array(
        seq, dossier_id::text, audit_chain_utc(at), actor, actor_role, action, from_status,
        to_status, reason, detail, prev_hash))
$$;

-- Entries already there are chained in the order they were written (``id``).
ALTER TABLE case_audit DISABLE TRIGGER case_audit_no_change;
DO $$
DECLARE
    entry record;
    previous text;
    current_dossier uuid;
    n int;
BEGIN
    FOR entry IN SELECT * FROM case_audit ORDER BY dossier_id, id LOOP
        IF current_dossier IS DISTINCT FROM entry.dossier_id THEN
            current_dossier := entry.dossier_id; previous := ''; n := 0;
        END IF;
        n := n + 1;
        UPDATE case_audit SET seq = n, prev_hash = previous,
            entry_hash = case_audit_entry_hash(n, entry.dossier_id, entry.at, entry.actor,
                entry.actor_role, entry.action, entry.from_status, entry.to_status,
                entry.reason, entry.detail, previous)
        WHERE id = entry.id
        RETURNING entry_hash INTO previous;
    END LOOP;
END $$;
ALTER TABLE case_audit ENABLE TRIGGER case_audit_no_change;

ALTER TABLE case_audit ALTER COLUMN seq SET NOT NULL,
                       ALTER COLUMN prev_hash SET NOT NULL,
                       ALTER COLUMN entry_hash SET NOT NULL,
                       ADD CONSTRAINT case_audit_chain UNIQUE (dossier_id, seq);

-- A new entry takes the next place in its dossier's chain. Transitions of one dossier are
-- already one after the other (the case row's version, locked by the statement that writes
-- the entries); the row lock here orders any other writer the same way. Whatever the
-- inserting code says about seq or hashes is overwritten.
CREATE FUNCTION case_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
BEGIN
    PERFORM 1 FROM dossier_case WHERE id = NEW.dossier_id FOR UPDATE;
    SELECT seq, entry_hash INTO last FROM case_audit
        WHERE dossier_id = NEW.dossier_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.entry_hash, '');
    NEW.entry_hash := case_audit_entry_hash(NEW.seq, NEW.dossier_id, NEW.at, NEW.actor,
        NEW.actor_role, NEW.action, NEW.from_status, NEW.to_status, NEW.reason, NEW.detail,
        NEW.prev_hash);
    RETURN NEW;
END $$;
CREATE TRIGGER case_audit_chained BEFORE INSERT ON case_audit
    FOR EACH ROW EXECUTE FUNCTION case_audit_chain();

CREATE FUNCTION case_audit_refuses_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_audit is append-only: TRUNCATE refused';
END $$;
CREATE TRIGGER case_audit_no_truncate BEFORE TRUNCATE ON case_audit
    FOR EACH STATEMENT EXECUTE FUNCTION case_audit_refuses_truncate();

-- Recomputes one dossier's chain: every entry whose place, link or content does not match,
-- in chain order (the first row is the first bad entry); none when the chain is whole.
CREATE FUNCTION verify_case_audit(dossier uuid)
    RETURNS TABLE (seq int, entry_id bigint, problem text) LANGUAGE sql STABLE AS $$
    SELECT t.seq, t.id, t.problem
    FROM (SELECT a.seq, a.id, audit_chain_problem(
                     a.seq, row_number() OVER w, a.prev_hash,
                     coalesce(lag(a.entry_hash) OVER w, ''), a.entry_hash,
                     case_audit_entry_hash(a.seq, a.dossier_id, a.at, a.actor, a.actor_role,
                                           a.action, a.from_status, a.to_status, a.reason,
                                           a.detail, a.prev_hash)) AS problem
          FROM case_audit a WHERE a.dossier_id = dossier
          WINDOW w AS (ORDER BY a.seq)) t
    WHERE t.problem IS NOT NULL
    ORDER BY t.seq
$$;
