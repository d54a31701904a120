-- SQLite's instance writes the events it keeps for resuming streams here when it stops, and
-- reads them back (emptying the table) when it starts: the id becomes the table's rowid.
DROP TABLE stream_events;
CREATE TABLE stream_events (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    ticket_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
