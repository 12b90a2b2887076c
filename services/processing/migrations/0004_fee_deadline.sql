-- The fee's deadline (issue 11 item 7): the last working day to pay it, counted from the day
-- the dossier starts waiting for it; the date the citizen was reminded for; and whether it
-- passed unpaid ("quá hạn thanh toán" in the department's queue).
ALTER TABLE dossier_case
    ADD COLUMN fee_due_date     date,
    ADD COLUMN fee_reminded_for date,
    ADD COLUMN fee_overdue      boolean NOT NULL DEFAULT false;
