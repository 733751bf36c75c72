-- The state key of the order's join QR code, on the order's group: customers who join
-- carrying it are the order's customers. Kept by groups (the join way notes it there
-- when it is made), so groups need not read join ways.
ALTER TABLE order_groups ADD COLUMN join_state TEXT;
UPDATE order_groups SET join_state =
    (SELECT w.state FROM join_ways w WHERE w.order_id = order_groups.order_id);
