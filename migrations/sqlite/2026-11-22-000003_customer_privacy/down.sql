DROP INDEX customers_tenant_id;
ALTER TABLE attachments DROP COLUMN purged_at;
ALTER TABLE customers DROP COLUMN purged_at;
ALTER TABLE customers DROP COLUMN deleted_at;
