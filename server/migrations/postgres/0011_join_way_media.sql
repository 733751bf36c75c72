-- An order's join QR code uploaded to WeCom as a temporary image (media/upload,
-- D-96484) for sendChatMessage: the media id WeCom gave for that join way, when it was
-- uploaded (the app's clock) and when WeCom forgets it (its created_at + 3 days). Used
-- again while under 2.5 days old and for the same config id.
CREATE TABLE join_way_media (
    order_id    TEXT    PRIMARY KEY,
    config_id   TEXT    NOT NULL,
    media_id    TEXT    NOT NULL,
    uploaded_at BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
