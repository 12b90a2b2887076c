-- Issue 16: what every service's audit hash chain shares, defined once (intake's timeline and
-- processing's case audit use these; a service's own migration says which fields are its
-- entry's canonical content, in which order).
--
-- An entry's hash is SHA-256, in hex, of its canonical content: a jsonb array of its fields
-- (jsonb's text is deterministic: object keys sorted, one spelling per value), the previous
-- entry's hash last ('' for the first entry). Times are written in UTC to the microsecond.

CREATE FUNCTION audit_chain_utc(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION audit_chain_hash(content jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(content::text, 'UTF8')), 'hex')
$$;

-- What is wrong with one entry of a chain, read in ``seq`` order, or NULL when nothing is:
-- its place (``expected_seq``: its row number), its link (``expected_prev``: the hash of the
-- entry before it) and its content (``computed``: its hash recomputed).
CREATE FUNCTION audit_chain_problem(seq int, expected_seq bigint, prev_hash text,
                                    expected_prev text, entry_hash text, computed text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN seq <> expected_seq THEN 'out of place: entry ' || expected_seq
                    || ' is missing or the entries were reordered'
                WHEN prev_hash IS DISTINCT FROM expected_prev THEN 'its link to the entry '
                    || 'before it is broken (an entry was removed, inserted or reordered)'
                WHEN entry_hash IS DISTINCT FROM computed
                    THEN 'its content was edited (its hash does not match)' END
$$;
