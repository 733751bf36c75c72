-- Every callback WeCom delivered, once: WeCom retries (three tries in all) and
-- replays land on the same dedup_key and are no-ops. Workers claim pending rows
-- (claimed_until is a lease: a worker that died lets go when it passes).
CREATE TABLE callback_inbox (
    dedup_key     TEXT    PRIMARY KEY,  -- 'msg:<MsgId>' or 'evt:<from>:<time>:<event>:<change>:<ids>'
    received_at   INTEGER NOT NULL,     -- unix seconds
    msg_type      TEXT    NOT NULL,
    event         TEXT    NOT NULL DEFAULT '',
    change_type   TEXT    NOT NULL DEFAULT '',
    body          TEXT    NOT NULL,     -- the decrypted XML
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until INTEGER,              -- unix milliseconds
    processed_at  INTEGER               -- NULL until a worker handled it
);
CREATE INDEX callback_inbox_pending ON callback_inbox (processed_at, received_at);
