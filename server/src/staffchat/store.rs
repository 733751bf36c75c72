//! The internal groups made for orders' staff.

use desk_shared::StaffChat;

use crate::db::{Db, Tx};

pub async fn of_order(db: &Db, order_id: &str) -> Result<Option<StaffChat>, sqlx::Error> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT chat_id, name FROM order_staff_chats WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(chat_id, name)| StaffChat { chat_id, name }))
}

/// Records the order's staff chat with its audit entry, in the caller's transaction.
pub async fn record(
    tx: &mut Tx<'_>,
    order_id: &str,
    chat: &StaffChat,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_staff_chats (order_id, chat_id, name, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(&chat.chat_id)
    .bind(&chat.name)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    crate::audit::record(
        tx,
        by,
        "staff_chat.created",
        order_id,
        serde_json::json!({ "chatId": chat.chat_id, "name": chat.name }),
    )
    .await
}
