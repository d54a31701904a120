-- Numbers for the events agents' streams show (SSE ids), the same on every instance.
CREATE SEQUENCE omnibridge_event_ids;
