//! Orders and their groups in the database.

use crate::db::Db;
use desk_shared::{OrderGroup, OrderInput};

use crate::clock::now_secs;

/// An order row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub title: String,
    pub designer_userid: String,
    pub pm_userid: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub chat_id: Option<String>,
    pub group_name: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Option<i64>,
    /// When it was pulled from the business system; `None` for a pushed order.
    pub pulled_at: Option<i64>,
}

impl OrderRow {
    pub fn group(&self) -> Option<OrderGroup> {
        Some(OrderGroup {
            chat_id: self.chat_id.clone()?,
            group_name: self.group_name.clone().unwrap_or_default(),
            created_by: self.created_by.clone().unwrap_or_default(),
            created_at: self.created_at.unwrap_or_default(),
        })
    }

    /// Whether `userid` is the designer or the project manager.
    pub fn is_on(&self, userid: &str) -> bool {
        self.designer_userid == userid || self.pm_userid == userid
    }
}

const SELECT: &str = "SELECT o.id, o.title, o.designer_userid, o.pm_userid, o.customer_name,
        o.customer_phone, g.chat_id, g.group_name, g.created_by, g.created_at, o.pulled_at
    FROM orders o LEFT JOIN order_groups g ON g.order_id = o.id";

/// Inserts or updates an order (`pulled_at`: when it was fetched from the business
/// system, `None` when pushed); returns whether it was new. The insert is tried
/// first, so of two concurrent first writes exactly one is "new".
pub async fn upsert(
    db: &Db,
    id: &str,
    o: &OrderInput,
    pulled_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let now = now_secs();
    // Both statements take the same eight values in the same places.
    let write = |sql| {
        sqlx::query(sql)
            .bind(id)
            .bind(o.title.trim())
            .bind(o.designer_user_id.trim())
            .bind(o.project_manager_user_id.trim())
            .bind(o.customer_name.trim())
            .bind(o.customer_phone.trim())
            .bind(now)
            .bind(pulled_at)
    };
    let inserted = write(
        "INSERT INTO orders (id, title, designer_userid, pm_userid, customer_name, customer_phone, updated_at, pulled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
    )
    .execute(db)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        write(
            "UPDATE orders SET title = $2, designer_userid = $3, pm_userid = $4,
               customer_name = $5, customer_phone = $6, updated_at = $7, pulled_at = $8
             WHERE id = $1",
        )
        .execute(db)
        .await?;
    }
    Ok(inserted)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Orders where `userid` is the designer or the project manager, newest first.
pub async fn of_member(db: &Db, userid: &str) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE o.designer_userid = $1 OR o.pm_userid = $1 ORDER BY o.updated_at DESC, o.id"
    ))
    .bind(userid)
    .fetch_all(db)
    .await
}
