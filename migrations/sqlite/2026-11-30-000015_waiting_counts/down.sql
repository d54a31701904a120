ALTER TABLE chat_accounts DROP COLUMN waiting_chats;
