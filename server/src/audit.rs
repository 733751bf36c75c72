//! The audit log: who changed what, when.

use crate::clock::now_secs;

/// Appends an entry inside the transaction that makes the change.
pub async fn record(
    tx: &mut crate::db::Tx<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now_secs())
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which entries to read: each filter given narrows the list.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Done by this member (or `system`, `integration`).
    pub actor: Option<&'a str>,
    /// Done to this subject (an order id, a staff id, a chat id).
    pub subject: Option<&'a str>,
    /// At or after, unix seconds.
    pub from: Option<i64>,
    /// At or before, unix seconds.
    pub to: Option<i64>,
    /// Only entries older than this id (the previous page's last).
    pub before: Option<i64>,
}

/// Up to `limit` entries, newest first.
pub async fn page(
    db: &crate::db::Db,
    filter: &Filter<'_>,
    limit: i64,
) -> Result<Vec<desk_shared::admin::AuditEntry>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, at, actor, action, subject, detail FROM audit_log
         WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR subject = $2)
           AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at <= $4)
           AND ($5 IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
    )
    .bind(filter.actor)
    .bind(filter.subject)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, actor, action, subject, detail)| desk_shared::admin::AuditEntry {
                id,
                at,
                actor,
                action,
                subject,
                detail,
            },
        )
        .collect())
}
