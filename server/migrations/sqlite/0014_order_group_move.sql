-- Why an order's customer group did not move to the order's new designer (WeCom
-- refused groupchat/onjob_transfer, e.g. twice in 90 days); NULL when it moved or
-- never had to.
ALTER TABLE order_groups ADD COLUMN move_note TEXT;
