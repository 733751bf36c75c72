-- An order's status from the business system: a closed order's join way is deleted.
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'open';

-- The internal group the server made for an order's staff (appchat/create).
CREATE TABLE order_staff_chats (
    order_id   TEXT    PRIMARY KEY,
    chat_id    TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

-- Pre-built empty customer groups admins keep for join QR codes; a group taken for an
-- order is that order's (one order per group, one group per order).
CREATE TABLE pool_groups (
    chat_id     TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    added_by    TEXT    NOT NULL,
    added_at    BIGINT NOT NULL,
    order_id    TEXT    UNIQUE,
    assigned_at BIGINT
);
CREATE INDEX pool_groups_free ON pool_groups (order_id, added_at);

-- Each order's join QR code: its group, the state key customers who scan carry, and
-- WeCom's config id and QR URL once known.
CREATE TABLE join_ways (
    order_id   TEXT    PRIMARY KEY,
    chat_id    TEXT    NOT NULL,
    state      TEXT    NOT NULL UNIQUE,
    config_id  TEXT,
    qr_code    TEXT,
    created_by TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);

-- How full the pool was last said to be ('ok', 'low', 'empty'): admins hear of each
-- crossing once.
CREATE TABLE pool_level (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    level      TEXT    NOT NULL,
    changed_at BIGINT NOT NULL
);
