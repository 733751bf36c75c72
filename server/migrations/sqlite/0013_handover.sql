-- Members who left (the change_contact delete_user callback, and the daily read of
-- WeCom's get_unassigned_list), with the customers and customer groups WeCom keeps
-- waiting for a takeover.
CREATE TABLE leavers (
    user_id TEXT    PRIMARY KEY,
    name    TEXT    NOT NULL,
    left_at INTEGER NOT NULL,   -- unix seconds (WeCom's dimission_time when known)
    seen_at INTEGER NOT NULL    -- when WeCom last said so
);
CREATE TABLE leaver_customers (
    user_id         TEXT NOT NULL,
    external_userid TEXT NOT NULL,
    PRIMARY KEY (user_id, external_userid)
);
CREATE TABLE leaver_groups (
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    PRIMARY KEY (user_id, chat_id)
);

-- A handover of one member's customers, groups and orders to another: a durable job.
CREATE TABLE handovers (
    id          TEXT    PRIMARY KEY,
    from_user   TEXT    NOT NULL,
    to_user     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,   -- resigned | onjob
    message     TEXT,               -- onjob: what the customers are told
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    polled_at   INTEGER NOT NULL DEFAULT 0   -- transfer_result last read
);
CREATE INDEX handovers_from ON handovers (from_user, created_at);
-- One unfinished handover an admin started per member (an order moved by the
-- business system makes its own, which does not count).
CREATE UNIQUE INDEX handovers_one_running ON handovers (from_user)
    WHERE finished_at IS NULL AND created_by <> 'integration';
CREATE INDEX handovers_running ON handovers (finished_at);

-- Each customer, group and order of a handover, and where it is.
CREATE TABLE handover_items (
    handover_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL,   -- customer | group | order
    item_id     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    rank        INTEGER NOT NULL,   -- the order items go in (order groups first)
    state       TEXT    NOT NULL,   -- pending | sending | waiting | done | refused | failed | scheduled
    reason      TEXT,
    at          INTEGER,            -- when it was sent, or reached its state
    due_at      INTEGER NOT NULL DEFAULT 0,  -- scheduled: not before
    PRIMARY KEY (handover_id, kind, item_id)
);
CREATE INDEX handover_items_state ON handover_items (handover_id, state, kind, rank);

-- Who an order's designer and project manager were before a handover moved it.
ALTER TABLE orders ADD COLUMN designer_from TEXT;
ALTER TABLE orders ADD COLUMN pm_from TEXT;
