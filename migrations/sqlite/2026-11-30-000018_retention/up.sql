-- Retention per chat account: purge the personal data of customers quiet for this many days
-- (0 = keep), close solved tickets untouched for this many days (0 = never).
ALTER TABLE chat_accounts ADD COLUMN purge_after_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_accounts ADD COLUMN close_solved_after_days INTEGER NOT NULL DEFAULT 0;
