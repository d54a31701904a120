ALTER TABLE chat_accounts DROP COLUMN close_solved_after_days;
ALTER TABLE chat_accounts DROP COLUMN purge_after_days;
