-- Orders pushed by the business system.
CREATE TABLE orders (
    id              TEXT    PRIMARY KEY,
    title           TEXT    NOT NULL,
    designer_userid TEXT    NOT NULL,
    pm_userid       TEXT    NOT NULL,
    customer_name   TEXT    NOT NULL,
    customer_phone  TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX orders_designer ON orders (designer_userid);
CREATE INDEX orders_pm ON orders (pm_userid);

-- One order, one group: the primary key allows one group per order, the unique
-- chat id one order per group.
CREATE TABLE order_groups (
    order_id   TEXT    PRIMARY KEY REFERENCES orders (id),
    chat_id    TEXT    NOT NULL UNIQUE,
    group_name TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The mirror of each member's customers (externalcontact/batch/get_by_user).
CREATE TABLE customers (
    owner_userid    TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    name            TEXT NOT NULL,
    avatar          TEXT NOT NULL,
    remark          TEXT NOT NULL,
    PRIMARY KEY (owner_userid, external_userid)
);

-- Remark phones by normalised key (desk_shared::normalize_phone): matching is a lookup.
CREATE TABLE customer_phones (
    owner_userid    TEXT NOT NULL,
    phone_key       TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    PRIMARY KEY (owner_userid, phone_key, external_userid)
);

-- When each member's customers were last mirrored.
CREATE TABLE customer_syncs (
    owner_userid     TEXT    PRIMARY KEY,
    synced_at        INTEGER NOT NULL,
    customers        INTEGER NOT NULL,
    without_phone    INTEGER NOT NULL
);
