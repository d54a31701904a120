-- SQLite's one instance numbers its events itself (Postgres takes a sequence): nothing here.
SELECT 1;
