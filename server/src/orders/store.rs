//! Orders and their groups in the database.

use crate::db::Db;
use desk_shared::{normalize_phone, OrderGroup, OrderInput};

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
    pub via: Option<String>,
    pub customer_joined_at: Option<i64>,
    pub dismissed_at: Option<i64>,
    pub status: String,
    pub staff_chat_id: Option<String>,
    pub staff_chat_name: Option<String>,
    pub join_config_id: Option<String>,
    pub join_qr_code: Option<String>,
    /// When it was pulled from the business system; `None` for a pushed order.
    pub pulled_at: Option<i64>,
    /// Who the designer and project manager were before a handover moved the order.
    pub designer_from: Option<String>,
    pub pm_from: Option<String>,
    /// Why the order's group did not move to its new designer.
    pub move_note: Option<String>,
    /// The order's 「联系我」 code and what its scan brought (`storevisit`).
    pub contact_config_id: Option<String>,
    pub contact_qr_code: Option<String>,
    pub contact_deleted_at: Option<i64>,
    /// The member the code adds (an earlier designer's code is not shown).
    pub contact_userid: Option<String>,
    pub customer_added_at: Option<i64>,
    pub welcome_note: Option<String>,
}

impl OrderRow {
    pub fn group(&self) -> Option<OrderGroup> {
        Some(OrderGroup {
            chat_id: self.chat_id.clone()?,
            group_name: self.group_name.clone().unwrap_or_default(),
            created_by: self.created_by.clone().unwrap_or_default(),
            created_at: self.created_at.unwrap_or_default(),
            via: self.via.clone().unwrap_or_default(),
            customer_joined_at: self.customer_joined_at,
            dismissed_at: self.dismissed_at,
        })
    }

    pub fn staff_chat(&self) -> Option<desk_shared::StaffChat> {
        Some(desk_shared::StaffChat {
            chat_id: self.staff_chat_id.clone()?,
            name: self.staff_chat_name.clone().unwrap_or_default(),
        })
    }

    /// The join QR code, once WeCom gave it.
    pub fn join_way(&self) -> Option<desk_shared::JoinWayInfo> {
        Some(desk_shared::JoinWayInfo {
            config_id: self.join_config_id.clone()?,
            qr_code: self.join_qr_code.clone().filter(|q| !q.is_empty())?,
        })
    }

    /// The "add me" code, while it lives at WeCom and adds the order's designer.
    pub fn contact_way(&self) -> Option<desk_shared::storevisit::ContactWayInfo> {
        if self.contact_deleted_at.is_some()
            || self.contact_userid.as_deref() != Some(self.designer_userid.as_str())
        {
            return None;
        }
        Some(desk_shared::storevisit::ContactWayInfo {
            config_id: self.contact_config_id.clone()?,
            qr_code: self.contact_qr_code.clone()?,
        })
    }

    /// Whether `userid` is the designer or the project manager.
    pub fn is_on(&self, userid: &str) -> bool {
        self.designer_userid == userid || self.pm_userid == userid
    }
}

const SELECT: &str = "SELECT o.id, o.title, o.designer_userid, o.pm_userid, o.customer_name,
        o.customer_phone, g.chat_id, g.group_name, g.created_by, g.created_at, g.via,
        g.customer_joined_at, g.dismissed_at, o.pulled_at, o.status, s.chat_id AS staff_chat_id,
        s.name AS staff_chat_name, j.config_id AS join_config_id, j.qr_code AS join_qr_code,
        o.designer_from, o.pm_from, g.move_note, c.config_id AS contact_config_id,
        c.qr_code AS contact_qr_code, c.deleted_at AS contact_deleted_at,
        c.userid AS contact_userid, c.customer_added_at,
        c.welcome_note
    FROM orders o LEFT JOIN order_groups g ON g.order_id = o.id
      LEFT JOIN contact_ways c ON c.order_id = o.id
      LEFT JOIN order_staff_chats s ON s.order_id = o.id
      LEFT JOIN join_ways j ON j.order_id = o.id AND j.deleted_at IS NULL";

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
    let phone_key = normalize_phone(o.customer_phone.trim());
    // Both statements take the same ten values in the same places.
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
            .bind(phone_key.clone())
            .bind(o.status.clone())
    };
    let inserted = write(
        "INSERT INTO orders (id, title, designer_userid, pm_userid, customer_name, customer_phone, updated_at, pulled_at, phone_key, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, 'open')) ON CONFLICT (id) DO NOTHING",
    )
    .execute(db)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        write(
            "UPDATE orders SET title = $2, designer_userid = $3, pm_userid = $4,
               customer_name = $5, customer_phone = $6, updated_at = $7, pulled_at = $8,
               phone_key = $9, status = COALESCE($10, status)
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

/// Fills `phone_key` for orders stored before it existed; answers how many.
pub async fn backfill_phone_keys(db: &Db) -> Result<u64, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, customer_phone FROM orders WHERE phone_key IS NULL")
            .fetch_all(db)
            .await?;
    for (id, phone) in &rows {
        sqlx::query("UPDATE orders SET phone_key = $2 WHERE id = $1")
            .bind(id)
            .bind(normalize_phone(phone))
            .execute(db)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Orders `userid` is on (designer or project manager) whose customer is this one:
/// the order's phone is one of `phone_keys` (normalised), or the customer is in the
/// order's recorded group. Newest first.
pub async fn of_member_for_customer(
    db: &Db,
    userid: &str,
    phone_keys: &[String],
    external_userid: &str,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let mut sql = format!(
        "{SELECT} WHERE (o.designer_userid = $1 OR o.pm_userid = $1) AND (o.id IN (
             SELECT g2.order_id FROM order_groups g2
             JOIN order_group_customers c ON c.chat_id = g2.chat_id
             WHERE c.external_userid = $2)"
    );
    let keys: Vec<&String> = phone_keys.iter().filter(|k| !k.is_empty()).collect();
    if !keys.is_empty() {
        sql.push_str(" OR o.phone_key IN (");
        for i in 0..keys.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(itoa::Buffer::new().format(i + 3));
        }
        sql.push(')');
    }
    sql.push_str(") ORDER BY o.updated_at DESC, o.id");
    let mut query = sqlx::query_as(&sql).bind(userid).bind(external_userid);
    for k in keys {
        query = query.bind(k.as_str());
    }
    query.fetch_all(db).await
}

/// The order whose recorded group is `chat_id`.
pub async fn of_chat(db: &Db, chat_id: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE g.chat_id = $1"))
        .bind(chat_id)
        .fetch_optional(db)
        .await
}

/// Which orders the admin console lists: each filter given narrows the list.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub designer: Option<&'a str>,
    /// With a customer group (`true`) or without (`false`).
    pub with_group: Option<bool>,
    /// Part of the id, the title or the customer's name.
    pub text: Option<&'a str>,
}

/// What a page of the admin's order list holds.
pub struct Page {
    pub rows: Vec<OrderRow>,
    pub total: i64,
    pub with_group: i64,
}

// Text is matched without regard to case; `!` escapes the wildcards (a backslash
// would depend on PostgreSQL's string settings). SQLite's LOWER folds ASCII only and
// PostgreSQL's every letter: `$3` is what was typed folded as PostgreSQL folds, `$4`
// folded as SQLite does, so the very text of an order always finds it on both.
const FILTER: &str = "($1 IS NULL OR o.designer_userid = $1)
    AND ($2 IS NULL OR (g.chat_id IS NOT NULL) = $2)
    AND ($3 IS NULL OR LOWER(o.id) LIKE $3 ESCAPE '!' OR LOWER(o.title) LIKE $3 ESCAPE '!'
         OR LOWER(o.customer_name) LIKE $3 ESCAPE '!'
         OR LOWER(o.id) LIKE $4 ESCAPE '!' OR LOWER(o.title) LIKE $4 ESCAPE '!'
         OR LOWER(o.customer_name) LIKE $4 ESCAPE '!')";

/// Every order the filter matches, newest first, `limit` from `offset`.
pub async fn page(
    db: &Db,
    filter: &Filter<'_>,
    offset: i64,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    // `%` and `_` in what the admin typed are letters, not wildcards.
    let pattern = |folded: String| {
        let escaped = folded
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_");
        format!("%{escaped}%")
    };
    let text = filter.text.map(|t| pattern(t.to_lowercase()));
    let ascii = filter.text.map(|t| pattern(t.to_ascii_lowercase()));
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE {FILTER} ORDER BY o.updated_at DESC, o.id LIMIT $5 OFFSET $6"
    ))
    .bind(filter.designer)
    .bind(filter.with_group)
    .bind(text.as_deref())
    .bind(ascii.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let (total, with_group): (i64, Option<i64>) = sqlx::query_as(&format!(
        "SELECT COUNT(*), SUM(CASE WHEN g.chat_id IS NULL THEN 0 ELSE 1 END)
         FROM orders o LEFT JOIN order_groups g ON g.order_id = o.id WHERE {FILTER}"
    ))
    .bind(filter.designer)
    .bind(filter.with_group)
    .bind(text.as_deref())
    .bind(ascii.as_deref())
    .fetch_one(db)
    .await?;
    Ok(Page {
        rows,
        total,
        with_group: with_group.unwrap_or(0),
    })
}

/// Every designer with an order.
pub async fn designers(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT designer_userid FROM orders ORDER BY designer_userid")
        .fetch_all(db)
        .await
}

/// Gives `to` the role `from` has on open order `order` (designer, PM or both),
/// keeping who it was. The roles that changed.
pub async fn reassign_order(
    tx: &mut crate::db::Tx<'_>,
    order: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let mut changed = Vec::new();
    for (role, column, kept) in [
        ("designer", "designer_userid", "designer_from"),
        ("projectManager", "pm_userid", "pm_from"),
    ] {
        let n = sqlx::query(&format!(
            "UPDATE orders SET {column} = $3, {kept} = $2, updated_at = $4
             WHERE id = $1 AND {column} = $2 AND status = 'open'"
        ))
        .bind(order)
        .bind(from)
        .bind(to)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 1 {
            changed.push(role);
        }
    }
    Ok(changed)
}

/// Whether the order was pulled from the business system (not pushed).
pub async fn is_pulled(tx: &mut crate::db::Tx<'_>, order: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT pulled_at FROM orders WHERE id = $1")
        .bind(order)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some_and(|r| r.0.is_some()))
}

/// Keeps who had `role` (`designer` or `projectManager`) on order `order` before the
/// business system gave it to someone else.
pub async fn note_reassigned(
    tx: &mut crate::db::Tx<'_>,
    order: &str,
    role: &str,
    from: &str,
) -> Result<(), sqlx::Error> {
    let column = match role {
        "designer" => "designer_from",
        _ => "pm_from",
    };
    sqlx::query(&format!("UPDATE orders SET {column} = $2 WHERE id = $1"))
        .bind(order)
        .bind(from)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// How many customers are on their way to `userid` by a handover not yet finished
/// (handover's items, read here: an order handed over says why its customer is not
/// matched yet).
pub async fn customers_on_their_way(db: &Db, userid: &str) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM handover_items i JOIN handovers h ON h.id = i.handover_id
         WHERE h.to_user = $1 AND h.finished_at IS NULL AND i.kind = 'customer'
           AND i.state IN ('pending', 'sending', 'waiting')",
    )
    .bind(userid)
    .fetch_one(db)
    .await?;
    Ok(n.0)
}
