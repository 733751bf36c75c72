-- The schema of migrations/sqlite/0001..0006 for PostgreSQL, in one step (nothing
-- ran on PostgreSQL before it). Integer columns are BIGINT: Any decodes them as i64.

-- Every state change a member makes: who, what, when.
CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    detail  TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log (subject, at);

-- Logged-in members. The cookie carries a random token; only its SHA-1 is stored.
CREATE TABLE sessions (
    token_hash   TEXT   PRIMARY KEY,
    userid       TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    avatar       TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE orders (
    id              TEXT   PRIMARY KEY,
    title           TEXT   NOT NULL,
    designer_userid TEXT   NOT NULL,
    pm_userid       TEXT   NOT NULL,
    customer_name   TEXT   NOT NULL,
    customer_phone  TEXT   NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX orders_designer ON orders (designer_userid);
CREATE INDEX orders_pm ON orders (pm_userid);

CREATE TABLE order_groups (
    order_id   TEXT   PRIMARY KEY REFERENCES orders (id),
    chat_id    TEXT   NOT NULL UNIQUE,
    group_name TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE customers (
    owner_userid    TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    name            TEXT NOT NULL,
    avatar          TEXT NOT NULL,
    remark          TEXT NOT NULL,
    PRIMARY KEY (owner_userid, external_userid)
);

CREATE TABLE customer_phones (
    owner_userid    TEXT NOT NULL,
    phone_key       TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    PRIMARY KEY (owner_userid, phone_key, external_userid)
);

CREATE TABLE customer_syncs (
    owner_userid  TEXT   PRIMARY KEY,
    synced_at     BIGINT NOT NULL,
    customers     BIGINT NOT NULL,
    without_phone BIGINT NOT NULL,
    synced_ms     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE callback_inbox (
    dedup_key     TEXT   PRIMARY KEY,
    received_at   BIGINT NOT NULL,
    msg_type      TEXT   NOT NULL,
    event         TEXT   NOT NULL DEFAULT '',
    change_type   TEXT   NOT NULL DEFAULT '',
    body          TEXT   NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until BIGINT,
    processed_at  BIGINT
);
CREATE INDEX callback_inbox_pending ON callback_inbox (processed_at, received_at);

CREATE TABLE wecom_credentials (
    name       TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    refresh_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE leases (
    name   TEXT   PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
