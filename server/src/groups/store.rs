//! Order groups in the database: one group per order, one order per group.

use desk_shared::OrderGroup;

use crate::clock::now_secs;
use crate::db::Db;
use crate::orders::store::get;

/// How recording a group went.
#[derive(Debug)]
pub enum Recorded {
    Created(OrderGroup),
    /// The same chat was recorded before: the record as it is.
    Again(OrderGroup),
    /// The order has another group, or the chat belongs to another order.
    Conflict(Option<OrderGroup>),
}

/// Records `chat_id` as the order's group, once, with the customers in it; the audit
/// entry goes in the same transaction.
pub async fn record_group(
    db: &Db,
    order_id: &str,
    chat_id: &str,
    group_name: &str,
    customers: &[&str],
    by: &str,
) -> Result<Recorded, sqlx::Error> {
    let mut tx = db.begin().await?;
    let now = now_secs();
    let inserted = sqlx::query(
        "INSERT INTO order_groups (order_id, chat_id, group_name, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(chat_id)
    .bind(group_name)
    .bind(by)
    .bind(now)
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
        tx.commit().await?;
        return Ok(Recorded::Created(OrderGroup {
            chat_id: chat_id.to_string(),
            group_name: group_name.to_string(),
            created_by: by.to_string(),
            created_at: now,
        }));
    }
    tx.rollback().await?;
    let existing = get(db, order_id).await?.and_then(|o| o.group());
    Ok(match existing {
        Some(g) if g.chat_id == chat_id => Recorded::Again(g),
        other => Recorded::Conflict(other),
    })
}
