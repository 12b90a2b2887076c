-- The working-day calendar a dossier's dates were computed under (issue 19), as it records its
-- catalog version; and the days of every calendar version processing has used, so that dates
-- computed under one can be counted again when a late announcement changes the calendar.
CREATE TABLE calendar_snapshot (
    version     text        PRIMARY KEY,
    days        jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- The calendar as shipped before announcements carried their sources: the dates of every
-- dossier written until now were computed under it (it lacks the New Year 2026 swap, so open
-- dossiers across it are recounted at the first start-up with the new calendar).
INSERT INTO calendar_snapshot (version, days) VALUES ('cal-pre-sources', '{
  "holidays": "0.109",
  "years": {
    "2024": {"days_off": [], "working_days": [["2024-05-04", "Làm việc bù cho ngày nghỉ thứ Hai 29/4/2024"]]},
    "2025": {"days_off": [["2025-05-02", "Ngày nghỉ hoán đổi (làm việc bù thứ Bảy 26/4/2025)"]],
             "working_days": [["2025-04-26", "Làm việc bù cho ngày nghỉ thứ Sáu 2/5/2025"]]},
    "2026": {"days_off": [["2026-08-31", "Ngày nghỉ hoán đổi (làm việc bù thứ Bảy 22/8/2026)"],
                          ["2026-11-24", "Ngày Văn hóa Việt Nam"]],
             "working_days": [["2026-08-22", "Làm việc bù cho ngày nghỉ thứ Hai 31/8/2026"]]}
  }
}');

ALTER TABLE dossier_case ADD COLUMN calendar_version text NOT NULL DEFAULT 'cal-pre-sources';
ALTER TABLE dossier_case ALTER COLUMN calendar_version DROP DEFAULT;
-- The recount looks for open dossiers computed under another calendar than the one in force.
CREATE INDEX dossier_case_calendar_version ON dossier_case (calendar_version);
