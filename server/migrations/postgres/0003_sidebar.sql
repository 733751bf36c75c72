-- The sidebar finds a customer's orders by phone: the order's phone normalised as the
-- customer mirror's phone keys are (rows from before are filled in at start).
ALTER TABLE orders ADD COLUMN phone_key TEXT;
CREATE INDEX orders_phone_key ON orders (phone_key);

-- The customers in each recorded order group (from groupchat/get when recorded), so
-- the sidebar finds a customer's orders through their group too.
CREATE TABLE order_group_customers (
    chat_id         TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    PRIMARY KEY (chat_id, external_userid)
);
CREATE INDEX order_group_customers_customer ON order_group_customers (external_userid);
