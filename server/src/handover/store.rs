//! Leavers, handovers and their items.

use sqlx::FromRow;

use crate::db::{Db, Tx};

// ---- leavers ------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct LeaverRow {
    pub user_id: String,
    pub name: String,
    pub left_at: i64,
    pub customers: i64,
    pub groups: i64,
    pub orders: i64,
}

/// Records that `user_id` left at `left_at` (the earliest time said wins; the name
/// is kept once known).
pub async fn left(
    db: &Db,
    user_id: &str,
    name: &str,
    left_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO leavers (user_id, name, left_at, seen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE SET seen_at = $4,
           left_at = CASE WHEN leavers.left_at < $3 THEN leavers.left_at ELSE $3 END,
           name = CASE WHEN $2 = '' THEN leavers.name ELSE $2 END",
    )
    .bind(user_id)
    .bind(name)
    .bind(left_at)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

pub async fn is_leaver(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM leavers WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await?;
    Ok(n.0 > 0)
}

/// Replaces what `user_id` leaves waiting in WeCom: their customers and groups.
pub async fn set_waiting(
    db: &Db,
    user_id: &str,
    customers: &[String],
    groups: &[String],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for (table, column, ids) in [
        ("leaver_customers", "external_userid", customers),
        ("leaver_groups", "chat_id", groups),
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for id in ids {
            sqlx::query(&format!(
                "INSERT INTO {table} (user_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            ))
            .bind(user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await
}

/// Every leaver, most recent first, with what they leave: waiting customers, the
/// customer groups they own as far as we know (WeCom's waiting list, order groups
/// they made, pool groups they own) and open orders where they are designer or PM.
pub async fn leavers(db: &Db) -> Result<Vec<LeaverRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.user_id, l.name, l.left_at,
           (SELECT COUNT(*) FROM leaver_customers c WHERE c.user_id = l.user_id) AS customers,
           (SELECT COUNT(*) FROM (
               SELECT chat_id FROM leaver_groups g WHERE g.user_id = l.user_id
               UNION SELECT chat_id FROM pool_groups p WHERE p.owner = l.user_id
           ) AS owned) AS groups,
           (SELECT COUNT(*) FROM orders o WHERE o.status = 'open'
               AND (o.designer_userid = l.user_id OR o.pm_userid = l.user_id)) AS orders
         FROM leavers l ORDER BY l.left_at DESC, l.user_id",
    )
    .fetch_all(db)
    .await
}

pub async fn leaver(db: &Db, user_id: &str) -> Result<Option<LeaverRow>, sqlx::Error> {
    Ok(leavers(db)
        .await?
        .into_iter()
        .find(|l| l.user_id == user_id))
}

/// The customers `user_id` leaves waiting, as WeCom last listed them.
pub async fn waiting_customers(db: &Db, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT external_userid FROM leaver_customers WHERE user_id = $1 ORDER BY external_userid",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// A group to hand over and what it serves, for its rank.
#[derive(Debug, Clone, FromRow)]
pub struct OwnedGroup {
    pub chat_id: String,
    pub name: String,
    /// The order it serves and that order's status (`open`, `closed`), if any.
    pub order_id: Option<String>,
    pub order_status: Option<String>,
    /// 1 when it is a pool group.
    pub in_pool: i64,
}

/// The customer groups `user_id` owns: WeCom's waiting list for them, pool groups
/// they own, and order groups on orders where they are the designer (who makes the
/// order's group).
pub async fn owned_groups(db: &Db, user_id: &str) -> Result<Vec<OwnedGroup>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ids.chat_id,
            COALESCE(g.group_name, p.name, '') AS name,
            COALESCE(g.order_id, p.order_id) AS order_id,
            o.status AS order_status,
            CASE WHEN p.chat_id IS NULL THEN 0 ELSE 1 END AS in_pool
         FROM (
            SELECT chat_id FROM leaver_groups WHERE user_id = $1
            UNION SELECT chat_id FROM pool_groups WHERE owner = $1
            UNION SELECT g.chat_id FROM order_groups g JOIN orders o ON o.id = g.order_id
                  WHERE o.designer_userid = $1 AND g.dismissed_at IS NULL
         ) AS ids
         LEFT JOIN order_groups g ON g.chat_id = ids.chat_id
         LEFT JOIN pool_groups p ON p.chat_id = ids.chat_id
         LEFT JOIN orders o ON o.id = COALESCE(g.order_id, p.order_id)
         ORDER BY ids.chat_id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// An open order where `user_id` is designer or PM.
#[derive(Debug, Clone, FromRow)]
pub struct OpenOrder {
    pub id: String,
    pub title: String,
}

pub async fn open_orders(db: &Db, user_id: &str) -> Result<Vec<OpenOrder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title FROM orders WHERE status = 'open'
           AND (designer_userid = $1 OR pm_userid = $1) ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

// ---- handovers --------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct HandoverRow {
    pub id: String,
    pub from_user: String,
    pub to_user: String,
    pub kind: String,
    pub message: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub polled_at: i64,
}

const HANDOVER: &str = "SELECT id, from_user, to_user, kind, message, created_by, created_at,
    finished_at, polled_at FROM handovers";

/// A new item of a handover.
pub struct NewItem {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub rank: i64,
}

/// Stores a handover with its items; when `exclusive`, not while one an admin started
/// from the same member is unfinished (checked in the same transaction): `false` then
/// (the caller drops the transaction, which rolls it back). The row is written before
/// the check, so on SQLite the transaction holds the write lock from its first
/// statement: a read first would have to upgrade later and fail at once if another
/// connection wrote meanwhile (SQLITE_BUSY_SNAPSHOT).
pub async fn create(
    tx: &mut Tx<'_>,
    h: &HandoverRow,
    items: &[NewItem],
    exclusive: bool,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO handovers (id, from_user, to_user, kind, message, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&h.id)
    .bind(&h.from_user)
    .bind(&h.to_user)
    .bind(&h.kind)
    .bind(&h.message)
    .bind(&h.created_by)
    .bind(h.created_at)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        // Another start from this member won the race (`handovers_one_running`).
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e),
    }
    let running: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM handovers WHERE from_user = $1 AND finished_at IS NULL
           AND created_by <> 'integration' AND id <> $2",
    )
    .bind(&h.from_user)
    .bind(&h.id)
    .fetch_one(&mut **tx)
    .await?;
    if exclusive && running.0 > 0 {
        return Ok(false);
    }
    for item in items {
        sqlx::query(
            "INSERT INTO handover_items (handover_id, kind, item_id, name, rank, state)
             VALUES ($1, $2, $3, $4, $5, 'pending')",
        )
        .bind(&h.id)
        .bind(item.kind)
        .bind(&item.id)
        .bind(&item.name)
        .bind(item.rank)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<HandoverRow>, sqlx::Error> {
    sqlx::query_as(&format!("{HANDOVER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Handovers, newest first (of one member when `from` is given), at most 200.
pub async fn list(db: &Db, from: Option<&str>) -> Result<Vec<HandoverRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{HANDOVER} WHERE ($1 IS NULL OR from_user = $1) ORDER BY created_at DESC, id LIMIT 200"
    ))
    .bind(from)
    .fetch_all(db)
    .await
}

/// Unfinished handovers, oldest first.
pub async fn unfinished(db: &Db) -> Result<Vec<HandoverRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{HANDOVER} WHERE finished_at IS NULL ORDER BY created_at, id"
    ))
    .fetch_all(db)
    .await
}

pub async fn polled(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE handovers SET polled_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Marks the handover finished (once): true when this call did.
pub async fn finish(tx: &mut Tx<'_>, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE handovers SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1,
    )
}

// ---- items ------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub kind: String,
    pub item_id: String,
    pub name: String,
    pub rank: i64,
    pub state: String,
    pub reason: Option<String>,
    pub at: Option<i64>,
    pub due_at: i64,
}

const ITEM: &str =
    "SELECT kind, item_id, name, rank, state, reason, at, due_at FROM handover_items";

pub async fn items(db: &Db, id: &str) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ITEM} WHERE handover_id = $1 ORDER BY kind, rank, item_id"
    ))
    .bind(id)
    .fetch_all(db)
    .await
}

/// Items of `kind` in `state`, in rank order, at most `limit`.
pub async fn items_in(
    db: &Db,
    id: &str,
    kind: &str,
    state: &str,
    limit: i64,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ITEM} WHERE handover_id = $1 AND kind = $2 AND state = $3
         ORDER BY rank, item_id LIMIT $4"
    ))
    .bind(id)
    .bind(kind)
    .bind(state)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Sets an item's state (and reason, time); `from` (when given) must be its state now.
#[allow(clippy::too_many_arguments)]
pub async fn set_state(
    tx: &mut Tx<'_>,
    id: &str,
    kind: &str,
    item: &str,
    from: Option<&str>,
    state: &str,
    reason: Option<&str>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE handover_items SET state = $5, reason = $6, at = $7
         WHERE handover_id = $1 AND kind = $2 AND item_id = $3 AND ($4 IS NULL OR state = $4)",
    )
    .bind(id)
    .bind(kind)
    .bind(item)
    .bind(from)
    .bind(state)
    .bind(reason)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Puts the pending groups of a handover off until `due_at` (the day's 300 are sent).
pub async fn schedule_pending_groups(
    db: &Db,
    id: &str,
    due_at: i64,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE handover_items SET state = 'scheduled', due_at = $2, reason = $3, at = $2
         WHERE handover_id = $1 AND kind = 'group' AND state = 'pending'",
    )
    .bind(id)
    .bind(due_at)
    .bind(reason)
    .execute(db)
    .await?
    .rows_affected())
}

/// Scheduled items whose time came are pending again.
pub async fn release_scheduled(db: &Db, id: &str, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE handover_items SET state = 'pending', reason = NULL, at = NULL
         WHERE handover_id = $1 AND state = 'scheduled' AND due_at <= $2",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected())
}

/// Groups sent from `from` to `to` since `since` (any handover): the day's count
/// against WeCom's 300.
pub async fn groups_sent_since(
    db: &Db,
    from: &str,
    to: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM handover_items i JOIN handovers h ON h.id = i.handover_id
         WHERE h.from_user = $1 AND h.to_user = $2 AND i.kind = 'group'
           AND i.state IN ('sending', 'done', 'failed') AND i.at >= $3",
    )
    .bind(from)
    .bind(to)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(n.0)
}

/// How many items of the handover are not yet settled (pending, sending, waiting,
/// scheduled).
pub async fn unsettled(db: &Db, id: &str) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM handover_items WHERE handover_id = $1
           AND state IN ('pending', 'sending', 'waiting', 'scheduled')",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(n.0)
}

/// The waiting customer items of unfinished handovers to `to` for `customer` (what a
/// `transfer_fail` callback is about): their handover ids.
pub async fn waiting_for(db: &Db, to: &str, customer: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT i.handover_id FROM handover_items i JOIN handovers h ON h.id = i.handover_id
         WHERE h.to_user = $1 AND h.finished_at IS NULL AND i.kind = 'customer'
           AND i.item_id = $2 AND i.state = 'waiting'",
    )
    .bind(to)
    .bind(customer)
    .fetch_all(db)
    .await
}
