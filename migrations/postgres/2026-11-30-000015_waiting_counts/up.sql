-- How many chats wait, per chat account, kept in step with the sessions in the same
-- transactions: a new chat reads its place in the queue from here instead of counting the
-- queue, so its cost does not grow with the queue.
ALTER TABLE chat_accounts ADD COLUMN waiting_chats BIGINT NOT NULL DEFAULT 0;
UPDATE chat_accounts SET waiting_chats = (
    SELECT COUNT(*) FROM chat_sessions
    WHERE chat_sessions.chat_account_id = chat_accounts.id AND chat_sessions.state = 'waiting'
);
