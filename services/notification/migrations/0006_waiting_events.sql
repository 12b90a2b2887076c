-- Events that came before the dossier's submission (waiting_event): notification reads
-- dossier.events, payment.events and postal.events through one group, and nothing orders
-- one topic's records against another's, so a fee request can be read before the
-- DossierSubmitted that says how to reach the applicant. Such an event is kept here, in the
-- transaction that read it, and handled when the submission comes (handlers.release_waiting).
CREATE TABLE waiting_event (
    id          bigserial   PRIMARY KEY,           -- the order they came in
    dossier_id  uuid        NOT NULL,
    event_id    uuid        NOT NULL UNIQUE,       -- a redelivery waits once
    envelope    jsonb       NOT NULL,
    waiting_since timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waiting_event_dossier ON waiting_event (dossier_id, id);
