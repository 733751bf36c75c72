-- Orders pulled from the business system (integration.order_source = URL): when they
-- were fetched. NULL for orders pushed with PUT /api/v1/orders/{id}, never refetched.
ALTER TABLE orders ADD COLUMN pulled_at INTEGER;
