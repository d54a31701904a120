DROP TRIGGER customers_search_update;
DROP TRIGGER customers_search_insert;
DROP TRIGGER tickets_search_update;
DROP TRIGGER tickets_search_insert;
DROP TRIGGER messages_search_update;
DROP TRIGGER messages_search_insert;
DROP TABLE search_index;
