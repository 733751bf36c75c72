-- Every app message handed to WeCom for a member in the last minutes, for WeCom's
-- about 30 app messages a minute to one member (past them it drops the message
-- without an error, D-90454): counted by every instance and kept across restarts.
-- `seq` numbers a member's sends, so that two instances taking a member's next send
-- at the same moment cannot both have it.
CREATE TABLE app_message_sends (
    userid  TEXT    NOT NULL,
    seq     BIGINT  NOT NULL,
    sent_at BIGINT  NOT NULL,             -- unix ms
    PRIMARY KEY (userid, seq)
);
CREATE INDEX app_message_sends_at ON app_message_sends (userid, sent_at);

-- The outbox takes one member's due app messages together (to merge them): by kind,
-- status and target, in the order they are due.
CREATE INDEX outbox_due_target ON outbox (kind, status, target, next_at);
