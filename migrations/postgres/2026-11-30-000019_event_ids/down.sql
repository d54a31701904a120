DROP SEQUENCE omnibridge_event_ids;
