-- What several instances share: WeCom credentials (the access token and both JS-SDK
-- tickets, fetched once per lifetime for all) and leases that let one instance at a
-- time refresh something (a credential, a member's customer mirror).
CREATE TABLE wecom_credentials (
    name       TEXT    PRIMARY KEY,    -- e.g. 'token:<corp>:<agent>'
    value      TEXT    NOT NULL,       -- '' when invalidated
    refresh_at INTEGER NOT NULL,       -- unix milliseconds: refetch from then on
    expires_at INTEGER NOT NULL        -- unix milliseconds
);

CREATE TABLE leases (
    name   TEXT    PRIMARY KEY,        -- e.g. 'mirror:<userid>'
    holder TEXT    NOT NULL,           -- which instance (random id per process)
    until  INTEGER NOT NULL            -- unix milliseconds
);

-- When a mirror refresh finished, to the millisecond: an instance that waited for
-- another's refresh tells by it that the refresh happened after it started waiting.
ALTER TABLE customer_syncs ADD COLUMN synced_ms INTEGER NOT NULL DEFAULT 0;
