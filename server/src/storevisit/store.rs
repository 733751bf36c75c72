//! The orders' 「联系我」 codes, what their scans brought, and the welcome template.

use crate::db::{Db, Tx};

/// An order's contact way as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactWayRow {
    pub order_id: String,
    pub state: String,
    pub userid: String,
    pub config_id: String,
    pub qr_code: String,
    pub deleted_at: Option<i64>,
    pub customer_id: Option<String>,
    pub customer_added_at: Option<i64>,
    pub welcome_note: Option<String>,
}

const COLUMNS: &str = "order_id, state, userid, config_id, qr_code, deleted_at, customer_id,
    customer_added_at, welcome_note";

pub async fn find(db: &Db, order_id: &str) -> Result<Option<ContactWayRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM contact_ways WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(db)
    .await
}

/// The live contact way whose scans carry `state`.
pub async fn by_state(db: &Db, state: &str) -> Result<Option<ContactWayRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM contact_ways WHERE state = $1"
    ))
    .bind(state)
    .fetch_optional(db)
    .await
}

/// Keeps the contact way WeCom made for the order (replacing a deleted one).
pub async fn save(
    tx: &mut Tx<'_>,
    order_id: &str,
    state: &str,
    userid: &str,
    config_id: &str,
    qr_code: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_ways (order_id, state, userid, config_id, qr_code, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id) DO UPDATE SET state = excluded.state, userid = excluded.userid,
           config_id = excluded.config_id, qr_code = excluded.qr_code,
           created_at = excluded.created_at, deleted_at = NULL",
    )
    .bind(order_id)
    .bind(state)
    .bind(userid)
    .bind(config_id)
    .bind(qr_code)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The contact way is gone from WeCom (the order closed or changed designer).
pub async fn mark_deleted(db: &Db, order_id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE contact_ways SET deleted_at = $1 WHERE order_id = $2")
        .bind(now)
        .bind(order_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The customer who scanned the order's code, when, and how the welcome went.
pub async fn customer_added(
    tx: &mut Tx<'_>,
    order_id: &str,
    customer_id: &str,
    added_at: i64,
    welcome_note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE contact_ways SET customer_id = $1, customer_added_at = $2, welcome_note = $3
         WHERE order_id = $4",
    )
    .bind(customer_id)
    .bind(added_at)
    .bind(welcome_note)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The welcome template, if an admin saved one.
pub async fn template(db: &Db) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT text, without_group FROM welcome_template WHERE id = 1")
        .fetch_optional(db)
        .await
}

pub async fn save_template(
    tx: &mut Tx<'_>,
    text: &str,
    without_group: &str,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO welcome_template (id, text, without_group, updated_at, updated_by)
         VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET text = excluded.text,
           without_group = excluded.without_group, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by",
    )
    .bind(text)
    .bind(without_group)
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
