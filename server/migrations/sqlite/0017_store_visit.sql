-- The store visit in one scan: each order's 「联系我」 code for its designer
-- (add_contact_way, D-92572; `state` is what WeCom echoes in the add event) and what
-- its scan brought: the customer, when, and how the welcome went.
CREATE TABLE contact_ways (
    order_id        TEXT    PRIMARY KEY,
    state           TEXT    NOT NULL UNIQUE,
    userid          TEXT    NOT NULL,     -- the member the code adds
    config_id       TEXT    NOT NULL,
    qr_code         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    deleted_at      INTEGER,              -- the order closed: deleted at WeCom
    customer_id     TEXT,                 -- external_userid of the customer who scanned
    customer_added_at INTEGER,
    welcome_note    TEXT
);

-- The welcome a customer gets on scanning an order's code (one row).
CREATE TABLE welcome_template (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    text          TEXT    NOT NULL,
    without_group TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT    NOT NULL
);

-- 群聊数据统计 per owner and Beijing day, as WeCom answered it (it keeps 180 days).
CREATE TABLE group_stats (
    day                   TEXT    NOT NULL,  -- YYYY-MM-DD, Beijing
    owner                 TEXT    NOT NULL,
    new_chats             INTEGER NOT NULL,
    chats                 INTEGER NOT NULL,
    chats_with_messages   INTEGER NOT NULL,
    new_members           INTEGER NOT NULL,
    members               INTEGER NOT NULL,
    members_with_messages INTEGER NOT NULL,
    messages              INTEGER NOT NULL,
    PRIMARY KEY (day, owner)
);
-- The days read (also a day with no owner to ask), so each is read once.
CREATE TABLE group_stats_days (
    day     TEXT    PRIMARY KEY,
    read_at INTEGER NOT NULL,
    owners  INTEGER NOT NULL
);

-- Deliveries the worker takes ahead of the queue (an add event with a welcome code:
-- WeCom allows the welcome only within 20 s).
ALTER TABLE callback_inbox ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX callback_inbox_urgent ON callback_inbox (received_at)
    WHERE urgent = 1 AND processed_at IS NULL;
