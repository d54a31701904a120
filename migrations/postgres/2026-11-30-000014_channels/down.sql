DROP INDEX mails_recipient;
DROP TABLE inbound_mails;
DROP TABLE customer_external_ids;
ALTER TABLE chat_accounts DROP COLUMN webhook_token;
