//! The customer mirror in the database: customers per member, their remark phones by
//! normalised key, and when each member's list was last fetched.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

use desk_shared::Candidate;

use crate::db::{Db, DbBool};

/// Rows per INSERT statement (well under both backends' limits on bound values).
const ROWS_PER_INSERT: usize = 500;

/// What one mirror refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncInfo {
    pub synced_at: i64,
    /// `synced_at` in milliseconds.
    pub synced_ms: i64,
    pub customers: i64,
    pub without_phone: i64,
}

/// One customer as mirrored.
#[derive(Debug, Clone)]
pub struct MirroredCustomer {
    pub external_userid: String,
    pub name: String,
    pub avatar: String,
    pub remark: String,
    pub phone_keys: Vec<String>,
}

pub async fn last_sync(db: &Db, userid: &str) -> Result<Option<SyncInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT synced_at, synced_ms, customers, without_phone FROM customer_syncs
         WHERE owner_userid = $1",
    )
    .bind(userid)
    .fetch_optional(db)
    .await
}

/// Replaces `userid`'s whole mirror with `rows` in one transaction.
pub async fn replace(
    db: &Db,
    userid: &str,
    rows: &[MirroredCustomer],
    info: SyncInfo,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM customers WHERE owner_userid = $1")
        .bind(userid)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM customer_phones WHERE owner_userid = $1")
        .bind(userid)
        .execute(&mut *tx)
        .await?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let customers: Vec<[&str; 5]> = chunk
            .iter()
            .map(|r| {
                [
                    userid,
                    r.external_userid.as_str(),
                    r.name.as_str(),
                    r.avatar.as_str(),
                    r.remark.as_str(),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            "INSERT INTO customers (owner_userid, external_userid, name, avatar, remark)",
            "ON CONFLICT (owner_userid, external_userid) DO NOTHING",
            &customers,
        )
        .await?;
        let phones: Vec<[&str; 3]> = chunk
            .iter()
            .flat_map(|r| {
                r.phone_keys
                    .iter()
                    .map(move |k| [userid, k.as_str(), r.external_userid.as_str()])
            })
            .collect();
        for phones in phones.chunks(ROWS_PER_INSERT) {
            insert_rows(
                &mut tx,
                "INSERT INTO customer_phones (owner_userid, phone_key, external_userid)",
                "ON CONFLICT DO NOTHING",
                phones,
            )
            .await?;
        }
    }
    sqlx::query(
        "INSERT INTO customer_syncs (owner_userid, synced_at, synced_ms, customers, without_phone)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner_userid) DO UPDATE SET
           synced_at = excluded.synced_at, synced_ms = excluded.synced_ms,
           customers = excluded.customers, without_phone = excluded.without_phone",
    )
    .bind(userid)
    .bind(info.synced_at)
    .bind(info.synced_ms)
    .bind(info.customers)
    .bind(info.without_phone)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// One multi-row INSERT with `$n` placeholders numbered here: sqlx's `QueryBuilder`
/// writes `?` for the Any driver, which PostgreSQL refuses.
async fn insert_rows<const N: usize>(
    tx: &mut crate::db::Tx<'_>,
    head: &str,
    tail: &str,
    rows: &[[&str; N]],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = format!("{head} VALUES ");
    let mut args = AnyArguments::default();
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, value) in row.iter().enumerate() {
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(itoa::Buffer::new().format(i * N + j + 1));
            args.add(*value).map_err(sqlx::Error::Encode)?;
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sqlx::query_with(&sql, args).execute(&mut **tx).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    external_userid: String,
    name: String,
    avatar: String,
    remark: String,
}

/// Customers of `owner` whose remark phones have the normalised key `phone_key`.
pub async fn by_phone_key(
    db: &Db,
    owner: &str,
    phone_key: &str,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows: Vec<CandidateRow> = sqlx::query_as(
        "SELECT c.external_userid, c.name, c.avatar, c.remark
         FROM customer_phones p
         JOIN customers c ON c.owner_userid = p.owner_userid AND c.external_userid = p.external_userid
         WHERE p.owner_userid = $1 AND p.phone_key = $2
         ORDER BY c.name",
    )
    .bind(owner)
    .bind(phone_key)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            external_user_id: r.external_userid,
            name: r.name,
            avatar: r.avatar,
            remark: r.remark,
        })
        .collect())
}

/// Whether the mirror has `external_userid` among `owner`'s customers.
pub async fn is_customer_of(
    db: &Db,
    owner: &str,
    external_userid: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) FROM customers WHERE owner_userid = $1 AND external_userid = $2",
    )
    .bind(owner)
    .bind(external_userid)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

#[derive(sqlx::FromRow)]
struct NamedRow {
    name: String,
    has_phone: DbBool,
}

/// Customers of `owner` whose name or remark contains `name`, and whether each has
/// any remark phone (at most five).
pub async fn named(db: &Db, owner: &str, name: &str) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let pattern = format!(
        "%{}%",
        name.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows: Vec<NamedRow> = sqlx::query_as(
        "SELECT c.name,
                CASE WHEN EXISTS (SELECT 1 FROM customer_phones p
                        WHERE p.owner_userid = c.owner_userid AND p.external_userid = c.external_userid)
                     THEN 1 ELSE 0 END AS has_phone
         FROM customers c
         WHERE c.owner_userid = $1 AND (c.name LIKE $2 ESCAPE '\\' OR c.remark LIKE $2 ESCAPE '\\')
         ORDER BY c.name
         LIMIT 5",
    )
    .bind(owner)
    .bind(pattern)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.has_phone.0)).collect())
}

/// Puts one customer of `owner` into the mirror as WeCom has them now (row and phone
/// keys), inside the caller's transaction; the rest of the mirror is untouched.
pub async fn upsert_one(
    tx: &mut crate::db::Tx<'_>,
    owner: &str,
    c: &MirroredCustomer,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO customers (owner_userid, external_userid, name, avatar, remark)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner_userid, external_userid) DO UPDATE SET
           name = excluded.name, avatar = excluded.avatar, remark = excluded.remark",
    )
    .bind(owner)
    .bind(&c.external_userid)
    .bind(&c.name)
    .bind(&c.avatar)
    .bind(&c.remark)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM customer_phones WHERE owner_userid = $1 AND external_userid = $2")
        .bind(owner)
        .bind(&c.external_userid)
        .execute(&mut **tx)
        .await?;
    for key in &c.phone_keys {
        sqlx::query(
            "INSERT INTO customer_phones (owner_userid, phone_key, external_userid)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(owner)
        .bind(key)
        .bind(&c.external_userid)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Takes one customer out of `owner`'s mirror (they no longer follow each other).
pub async fn remove_one(db: &Db, owner: &str, external_userid: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for table in ["customer_phones", "customers"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE owner_userid = $1 AND external_userid = $2"
        ))
        .bind(owner)
        .bind(external_userid)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Makes `userid`'s mirror out of date, so its next use reads it again from WeCom.
pub async fn mark_stale(db: &Db, userid: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE customer_syncs SET synced_at = 0 WHERE owner_userid = $1")
        .bind(userid)
        .execute(db)
        .await
        .map(drop)
}
