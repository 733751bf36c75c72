//! The pool of pre-built customer groups and the orders' join ways.

use crate::db::{backend, Backend, Db, Tx};

/// An order's join way as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinWayRow {
    pub order_id: String,
    pub chat_id: String,
    pub state: String,
    pub config_id: Option<String>,
    pub qr_code: Option<String>,
    pub deleted_at: Option<i64>,
}

pub async fn find(db: &Db, order_id: &str) -> Result<Option<JoinWayRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, chat_id, state, config_id, qr_code, deleted_at FROM join_ways
         WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await
}

/// The order whose join way gives customers `state`.
pub async fn order_of_state(db: &Db, state: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM join_ways WHERE state = $1")
        .bind(state)
        .fetch_optional(db)
        .await
}

/// Notes the order's join way before WeCom is asked for it (so a crash leaves a row
/// that the next request picks up: first the config id, then the QR code).
pub async fn start(
    tx: &mut Tx<'_>,
    order_id: &str,
    chat_id: &str,
    state: &str,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO join_ways (order_id, chat_id, state, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (order_id) DO UPDATE SET chat_id = excluded.chat_id, config_id = NULL,
           qr_code = NULL, deleted_at = NULL, created_by = excluded.created_by,
           created_at = excluded.created_at",
    )
    .bind(order_id)
    .bind(chat_id)
    .bind(state)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_config_id(db: &Db, order_id: &str, config_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE join_ways SET config_id = $1 WHERE order_id = $2")
        .bind(config_id)
        .bind(order_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_qr_code(db: &Db, order_id: &str, qr_code: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE join_ways SET qr_code = $1 WHERE order_id = $2")
        .bind(qr_code)
        .bind(order_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The join way is gone from WeCom (the order closed).
pub async fn mark_deleted(db: &Db, order_id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE join_ways SET deleted_at = $1 WHERE order_id = $2 AND deleted_at IS NULL")
        .bind(now)
        .bind(order_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Takes the oldest free pool group for `order_id`, in the caller's transaction
/// (PostgreSQL skips a row another transaction is taking; SQLite has one writer).
pub async fn take_free(
    tx: &mut Tx<'_>,
    backend_of: &Db,
    order_id: &str,
    now: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let lock = match backend(backend_of) {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    sqlx::query_as(&format!(
        "UPDATE pool_groups SET order_id = $1, assigned_at = $2
         WHERE chat_id = (SELECT chat_id FROM pool_groups WHERE order_id IS NULL
                          ORDER BY added_at, chat_id LIMIT 1 {lock})
         RETURNING chat_id, name"
    ))
    .bind(order_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Free and assigned groups.
pub async fn counts(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN order_id IS NULL THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN order_id IS NULL THEN 0 ELSE 1 END), 0)
         FROM pool_groups",
    )
    .fetch_one(db)
    .await
}

/// A pool group as the admin page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    pub chat_id: String,
    pub name: String,
    pub owner: String,
    pub added_by: String,
    pub added_at: i64,
    pub order_id: Option<String>,
    pub assigned_at: Option<i64>,
}

/// The newest `limit` pool groups.
pub async fn list(db: &Db, limit: i64) -> Result<Vec<PoolRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT chat_id, name, owner, added_by, added_at, order_id, assigned_at FROM pool_groups
         ORDER BY added_at DESC, chat_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Adds a group to the pool (with the audit entry); false when it was there already.
pub async fn add(
    db: &Db,
    chat_id: &str,
    name: &str,
    owner: &str,
    by: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let added = sqlx::query(
        "INSERT INTO pool_groups (chat_id, name, owner, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chat_id) DO NOTHING",
    )
    .bind(chat_id)
    .bind(name)
    .bind(owner)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if added {
        crate::audit::record(
            &mut tx,
            by,
            "pool.group_added",
            chat_id,
            serde_json::json!({ "name": name, "owner": owner }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Whether the chat is in the pool or recorded as an order's group.
pub async fn is_known(db: &Db, chat_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM pool_groups WHERE chat_id = $1)
              + (SELECT COUNT(*) FROM order_groups WHERE chat_id = $1)",
    )
    .bind(chat_id)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// The level the admins were last told of, if any.
pub async fn level(db: &Db) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT level FROM pool_level WHERE id = 1")
        .fetch_optional(db)
        .await
}

/// Notes the level; false when it was that already (another request told them).
pub async fn set_level(tx: &mut Tx<'_>, level: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO pool_level (id, level, changed_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET level = excluded.level, changed_at = excluded.changed_at
         WHERE pool_level.level <> excluded.level",
    )
    .bind(level)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A pool group has its new owner.
pub async fn pool_owner(
    tx: &mut crate::db::Tx<'_>,
    chat_id: &str,
    owner: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pool_groups SET owner = $2 WHERE chat_id = $1")
        .bind(chat_id)
        .bind(owner)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The order's join QR code as WeCom temporary media, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    /// The join way whose QR code was uploaded.
    pub config_id: String,
    pub media_id: String,
    /// When it was uploaded (the app's clock), unix seconds.
    pub uploaded_at: i64,
    /// When WeCom forgets the media id (its `created_at` + 3 days), unix seconds.
    pub expires_at: i64,
}

pub async fn media(db: &Db, order_id: &str) -> Result<Option<MediaRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT config_id, media_id, uploaded_at, expires_at FROM join_way_media
         WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await
}

/// Keeps the media uploaded for the order's join way (replacing an older one).
pub async fn set_media(db: &Db, order_id: &str, m: &MediaRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO join_way_media (order_id, config_id, media_id, uploaded_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (order_id) DO UPDATE SET config_id = excluded.config_id,
           media_id = excluded.media_id, uploaded_at = excluded.uploaded_at,
           expires_at = excluded.expires_at",
    )
    .bind(order_id)
    .bind(&m.config_id)
    .bind(&m.media_id)
    .bind(m.uploaded_at)
    .bind(m.expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// The order's join way is gone: its uploaded QR code is no use any more.
pub async fn forget_media(db: &Db, order_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM join_way_media WHERE order_id = $1")
        .bind(order_id)
        .execute(db)
        .await
        .map(drop)
}
