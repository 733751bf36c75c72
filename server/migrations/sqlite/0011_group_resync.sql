-- When each order group was last read from WeCom (groupchat/get), unix seconds; 0:
-- never. The periodic re-sync reads the least recently synced groups first.
ALTER TABLE order_groups ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX order_groups_synced ON order_groups (synced_at);
