DROP TABLE stream_events;
CREATE TABLE stream_events (
    id BIGINT PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    ticket_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
