-- Quick replies (话术): the team's replies, kept by admins in the console and sent by
-- members from the sidebar. Ids are never reused (a stale page's "sent" never counts
-- another reply).
CREATE TABLE quick_replies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    group_name TEXT    NOT NULL,
    position   INTEGER NOT NULL,   -- the order admins gave; a group follows its first reply
    use_count  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
);
CREATE INDEX quick_replies_position ON quick_replies (position, id);

-- The one row every change of the list's shape (append within the limit, reorder)
-- writes first, so such changes run one at a time on either database.
CREATE TABLE quick_reply_list (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
);
INSERT INTO quick_reply_list (id, changes) VALUES (1, 0);
