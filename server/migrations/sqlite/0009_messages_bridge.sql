-- Callbacks a worker could not process are tried again later (claimed_until is then
-- "not before"); the last reason is kept, and after the last try the row is failed.
ALTER TABLE callback_inbox ADD COLUMN last_error TEXT;
ALTER TABLE callback_inbox ADD COLUMN failed_at INTEGER;

-- What goes out, durably, before anyone is told it will: robot messages
-- (notifications), events to integration.events_url, app messages to members.
CREATE TABLE outbox (
    id              TEXT    PRIMARY KEY,  -- stable: an event's id, a notification's id
    kind            TEXT    NOT NULL,     -- 'robot' | 'event' | 'app_message'
    target          TEXT    NOT NULL,     -- the robot's name, 'events', or member ids
    payload         TEXT    NOT NULL,     -- the JSON body to send
    status          TEXT    NOT NULL,     -- 'queued' | 'sent' | 'failed'
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,     -- unix ms: not tried before this
    claimed_by      TEXT,
    claimed_until   INTEGER,              -- unix ms
    last_error      TEXT,
    created_at      INTEGER NOT NULL,     -- unix ms
    sent_at         INTEGER,              -- unix ms
    conversation_id TEXT,
    staff_id        TEXT                  -- a notification's staff id, if it names one
);
CREATE INDEX outbox_due ON outbox (status, next_at);
-- Where a member's reply goes: the conversations posted (sent) for their staff id.
CREATE INDEX outbox_posted_staff ON outbox (staff_id, sent_at);
CREATE INDEX outbox_posted_conversation ON outbox (conversation_id);

-- Every message handed to a robot in the last minutes, for WeCom's 20 per robot per
-- minute: counted by every instance, and kept across restarts (no burst after one).
CREATE TABLE robot_sends (
    robot   TEXT    NOT NULL,
    sent_at INTEGER NOT NULL              -- unix ms
);
CREATE INDEX robot_sends_robot ON robot_sends (robot, sent_at);

-- The business system's staff ids and the WeCom members they are.
CREATE TABLE staff_bindings (
    staff_id     TEXT    PRIMARY KEY,
    wecom_userid TEXT    NOT NULL UNIQUE,
    updated_at   INTEGER NOT NULL
);

-- The website's conversations staff were told about.
CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    created_at       INTEGER NOT NULL,
    last_notified_at INTEGER NOT NULL,
    last_message_at  INTEGER
);

-- Staff replies routed into a conversation; `source` is the callback they came in
-- (a redelivered callback stores nothing).
CREATE TABLE conversation_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL,
    staff_id        TEXT    NOT NULL,
    wecom_userid    TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    source          TEXT    NOT NULL UNIQUE
);
CREATE INDEX conversation_messages_conversation ON conversation_messages (conversation_id, id);

-- How a group came to the order, when its customer joined, and whether it is gone.
ALTER TABLE order_groups ADD COLUMN via TEXT NOT NULL DEFAULT 'client';
ALTER TABLE order_groups ADD COLUMN customer_joined_at INTEGER;
ALTER TABLE order_groups ADD COLUMN dismissed_at INTEGER;

-- What a worker claims next, in order, without sorting every pending row.
CREATE INDEX callback_inbox_claimable ON callback_inbox (received_at, dedup_key)
    WHERE processed_at IS NULL AND failed_at IS NULL;
