-- Every state change a member makes: who, what, when.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,          -- unix seconds
    actor      TEXT    NOT NULL,          -- member userid, 'system' or 'integration'
    action     TEXT    NOT NULL,          -- e.g. 'order_group.created'
    subject    TEXT    NOT NULL,          -- what it was done to, e.g. an order id
    detail     TEXT    NOT NULL DEFAULT '{}'  -- JSON
);
CREATE INDEX audit_log_subject ON audit_log (subject, at);
