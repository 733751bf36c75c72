-- Logged-in members. The cookie carries a random token; only its SHA-1 is stored.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    userid     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    avatar     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,   -- unix seconds
    expires_at INTEGER NOT NULL    -- unix seconds
);
CREATE INDEX sessions_expires ON sessions (expires_at);
