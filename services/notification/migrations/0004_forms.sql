-- The printed form an email carries (issue 13): what the submission said that the forms print
-- (kept on the contact, as notification may not read intake's database), and, per message, the
-- form it attaches with the data it is printed from, so a resend renders the same PDF.
ALTER TABLE contact ADD COLUMN submission jsonb;
ALTER TABLE message ADD COLUMN attachment jsonb;
