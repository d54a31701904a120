-- Customers can be deleted (gone from lists) and purged (personal data erased, anonymous
-- ticket shells kept for statistics); a purged attachment keeps its row but not its bytes.
ALTER TABLE customers ADD COLUMN deleted_at BIGINT;
ALTER TABLE customers ADD COLUMN purged_at BIGINT;
ALTER TABLE attachments ADD COLUMN purged_at BIGINT;
CREATE INDEX customers_tenant_id ON customers (tenant_id, id);
