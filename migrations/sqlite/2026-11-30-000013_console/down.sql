DROP TABLE password_resets;
DROP TABLE sign_in_failures;
DROP TABLE console_sessions;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN permissions;
ALTER TABLE users DROP COLUMN password_hash;
