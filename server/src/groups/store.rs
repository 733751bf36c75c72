//! Order groups in the database: one group per order, one order per group.

use desk_shared::OrderGroup;

use crate::clock::{now_millis, now_secs};
use crate::db::{Db, Tx};
use crate::orders::store::get;
use crate::outbox::events::{event_id, Events};

/// How recording a group went.
#[derive(Debug)]
pub enum Recorded {
    Created(OrderGroup),
    /// The same chat was recorded before: the record as it is.
    Again(OrderGroup),
    /// The order has another group, or the chat belongs to another order.
    Conflict(Option<OrderGroup>),
}

/// Records `chat_id` as the order's group, once, with the customers in it (then the
/// customer counts as joined); the audit entry and the `group.created` event go in the
/// same transaction.
pub async fn record_group(
    db: &Db,
    events: &Events,
    order_id: &str,
    chat_id: &str,
    group_name: &str,
    customers: &[&str],
    by: &str,
) -> Result<Recorded, sqlx::Error> {
    let mut tx = db.begin().await?;
    let now = now_secs();
    let joined = (!customers.is_empty()).then_some(now);
    let inserted = sqlx::query(
        "INSERT INTO order_groups (order_id, chat_id, group_name, created_by, created_at,
           customer_joined_at, synced_at)
         VALUES ($1, $2, $3, $4, $5, $6, $5) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(chat_id)
    .bind(group_name)
    .bind(by)
    .bind(now)
    .bind(joined)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        for customer in customers {
            sqlx::query(
                "INSERT INTO order_group_customers (chat_id, external_userid) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(chat_id)
            .bind(*customer)
            .execute(&mut *tx)
            .await?;
        }
        crate::audit::record(
            &mut tx,
            by,
            "order_group.created",
            order_id,
            serde_json::json!({ "chatId": chat_id, "groupName": group_name }),
        )
        .await?;
        let group = OrderGroup {
            chat_id: chat_id.to_string(),
            group_name: group_name.to_string(),
            created_by: by.to_string(),
            created_at: now,
            via: "client".into(),
            customer_joined_at: joined,
            dismissed_at: None,
        };
        events
            .emit(
                &mut tx,
                &event_id(&format!("group.created:{chat_id}")),
                "group.created",
                serde_json::json!({
                    "orderId": order_id,
                    "group": group,
                    "externalUserIds": customers,
                }),
                now_millis(),
            )
            .await?;
        tx.commit().await?;
        return Ok(Recorded::Created(group));
    }
    tx.rollback().await?;
    let existing = get(db, order_id).await?.and_then(|o| o.group());
    Ok(match existing {
        Some(g) if g.chat_id == chat_id => Recorded::Again(g),
        other => Recorded::Conflict(other),
    })
}

/// The customers known to be in a recorded group.
pub async fn customers_of(db: &Db, chat_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT external_userid FROM order_group_customers WHERE chat_id = $1
         ORDER BY external_userid",
    )
    .bind(chat_id)
    .fetch_all(db)
    .await
}

/// Notes that the group was read from WeCom at `at`: it is there, so not dismissed
/// (a 40050 that was wrong does not hide the group for good).
pub async fn mark_synced(tx: &mut Tx<'_>, chat_id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE order_groups SET synced_at = $1, dismissed_at = NULL WHERE chat_id = $2")
        .bind(at)
        .bind(chat_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Notes that reading the group failed at `at`: it waits behind the others, so groups
/// that keep failing never crowd out the rest of a round.
pub async fn mark_tried(db: &Db, chat_id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE order_groups SET synced_at = $1 WHERE chat_id = $2")
        .bind(at)
        .bind(chat_id)
        .execute(db)
        .await
        .map(drop)
}

/// Up to `limit` recorded groups not known to be dismissed and last read from WeCom
/// at `synced_before` or earlier, least recently read first.
pub async fn due_for_resync(
    db: &Db,
    synced_before: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT chat_id FROM order_groups
         WHERE dismissed_at IS NULL AND synced_at <= $1
         ORDER BY synced_at, chat_id LIMIT $2",
    )
    .bind(synced_before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The customers in a recorded group are now `customers` (from `groupchat/get`).
pub async fn replace_customers(
    tx: &mut Tx<'_>,
    chat_id: &str,
    customers: &[&str],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM order_group_customers WHERE chat_id = $1")
        .bind(chat_id)
        .execute(&mut **tx)
        .await?;
    for customer in customers {
        sqlx::query(
            "INSERT INTO order_group_customers (chat_id, external_userid) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )
        .bind(chat_id)
        .bind(*customer)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Notes that a customer joined the group at `at`, unless one had before.
pub async fn mark_customer_joined(
    tx: &mut Tx<'_>,
    chat_id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE order_groups SET customer_joined_at = $1
         WHERE chat_id = $2 AND customer_joined_at IS NULL",
    )
    .bind(at)
    .bind(chat_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes that WeCom dismissed the group (it stays the order's, shown as gone).
pub async fn mark_dismissed(db: &Db, chat_id: &str, at: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE order_groups SET dismissed_at = $1 WHERE chat_id = $2 AND dismissed_at IS NULL",
    )
    .bind(at)
    .bind(chat_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a pool group taken for the order's join QR code as the order's group
/// (`via: "join_way"`, no customer in it yet), in the caller's transaction with its
/// audit entry and `group.created` event; false when the order has a group already.
pub async fn record_pool_group(
    tx: &mut Tx<'_>,
    events: &Events,
    order_id: &str,
    chat_id: &str,
    group_name: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let now = now_secs();
    let inserted = sqlx::query(
        "INSERT INTO order_groups (order_id, chat_id, group_name, created_by, created_at, via)
         VALUES ($1, $2, $3, $4, $5, 'join_way') ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(chat_id)
    .bind(group_name)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        return Ok(false);
    }
    crate::audit::record(
        tx,
        by,
        "order_group.assigned",
        order_id,
        serde_json::json!({ "chatId": chat_id, "groupName": group_name, "via": "join_way" }),
    )
    .await?;
    let group = OrderGroup {
        chat_id: chat_id.to_string(),
        group_name: group_name.to_string(),
        created_by: by.to_string(),
        created_at: now,
        via: "join_way".into(),
        customer_joined_at: None,
        dismissed_at: None,
    };
    events
        .emit(
            tx,
            &event_id(&format!("group.created:{chat_id}")),
            "group.created",
            serde_json::json!({ "orderId": order_id, "group": group, "externalUserIds": [] }),
            now_millis(),
        )
        .await?;
    Ok(true)
}

/// Notes the state key of the order's join QR code on its group (in the join way's
/// transaction).
pub async fn set_join_state(
    tx: &mut Tx<'_>,
    order_id: &str,
    state: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE order_groups SET join_state = $1 WHERE order_id = $2")
        .bind(state)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The state key of the order's join QR code, if it has one.
pub async fn join_state(db: &Db, order_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT join_state FROM order_groups WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Notes why group `chat_id` did not move with its order (`None`: it moved).
pub async fn set_move_note(
    tx: &mut Tx<'_>,
    chat_id: &str,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE order_groups SET move_note = $2 WHERE chat_id = $1")
        .bind(chat_id)
        .bind(note)
        .execute(&mut **tx)
        .await
        .map(drop)
}
