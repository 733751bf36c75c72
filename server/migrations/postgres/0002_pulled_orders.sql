-- Orders pulled from the business system: when they were fetched (NULL: pushed).
ALTER TABLE orders ADD COLUMN pulled_at BIGINT;
