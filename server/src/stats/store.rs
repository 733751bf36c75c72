//! 群聊数据统计 as read from WeCom, per owner and Beijing day.

use desk_shared::storevisit::GroupStats;

use crate::db::Db;

/// The designers of orders with a customer group: whose groups are counted.
pub async fn owners(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT o.designer_userid FROM orders o
         JOIN order_groups g ON g.order_id = o.id ORDER BY o.designer_userid",
    )
    .fetch_all(db)
    .await
}

/// The last day read, if any, and when it was read (unix seconds).
pub async fn last_read(db: &Db) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT day, read_at FROM group_stats_days ORDER BY day DESC LIMIT 1")
        .fetch_optional(db)
        .await
}

/// Keeps what WeCom answered for `day` (replacing an earlier read) and notes the day
/// read, in one transaction.
pub async fn save_day(
    db: &Db,
    day: &str,
    rows: &[(String, GroupStats)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM group_stats WHERE day = $1")
        .bind(day)
        .execute(&mut *tx)
        .await?;
    for (owner, s) in rows {
        sqlx::query(
            "INSERT INTO group_stats (day, owner, new_chats, chats, chats_with_messages,
               new_members, members, members_with_messages, messages)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(day)
        .bind(owner)
        .bind(s.new_chats)
        .bind(s.chats)
        .bind(s.chats_with_messages)
        .bind(s.new_members)
        .bind(s.members)
        .bind(s.members_with_messages)
        .bind(s.messages)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO group_stats_days (day, read_at, owners) VALUES ($1, $2, $3)
         ON CONFLICT (day) DO UPDATE SET read_at = excluded.read_at, owners = excluded.owners",
    )
    .bind(day)
    .bind(now)
    .bind(rows.len() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct Row {
    day: String,
    owner: String,
    new_chats: i64,
    chats: i64,
    chats_with_messages: i64,
    new_members: i64,
    members: i64,
    members_with_messages: i64,
    messages: i64,
}

/// The stored rows from `from` to `to`, by day then owner; one owner's with `owner`.
pub async fn read(
    db: &Db,
    from: &str,
    to: &str,
    owner: Option<&str>,
) -> Result<Vec<(String, String, GroupStats)>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT day, owner, new_chats, chats, chats_with_messages, new_members, members,
           members_with_messages, messages
         FROM group_stats WHERE day >= $1 AND day <= $2 AND ($3 = '' OR owner = $3)
         ORDER BY day, owner",
    )
    .bind(from)
    .bind(to)
    .bind(owner.unwrap_or(""))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stats = GroupStats {
                new_chats: r.new_chats,
                chats: r.chats,
                chats_with_messages: r.chats_with_messages,
                new_members: r.new_members,
                members: r.members,
                members_with_messages: r.members_with_messages,
                messages: r.messages,
            };
            (r.day, r.owner, stats)
        })
        .collect())
}
