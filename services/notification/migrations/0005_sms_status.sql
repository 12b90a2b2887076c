-- The SMS status query's claim (effects.sms_status): accepted SMS still waiting for their
-- delivery report, oldest first. Small: an SMS leaves it when its report (or the query) says.
CREATE INDEX message_sms_sending ON message (updated_at)
    WHERE status = 'sent' AND channel = 'sms' AND delivery_status = 'sending';
