//! Staff bindings, conversations and the replies routed into them.

use desk_shared::integration::{ConversationMessage, StaffBinding};

use crate::db::{Db, Tx};

#[derive(sqlx::FromRow)]
struct BindingRow {
    staff_id: String,
    wecom_userid: String,
    last_conversation_id: Option<String>,
    updated_at: i64,
}

impl From<BindingRow> for StaffBinding {
    fn from(r: BindingRow) -> Self {
        StaffBinding {
            staff_id: r.staff_id,
            wecom_user_id: r.wecom_userid,
            last_conversation_id: r.last_conversation_id,
            updated_at: r.updated_at,
        }
    }
}

/// A binding with the last conversation posted (sent by the robot) for the staff id.
const BINDING: &str = "SELECT b.staff_id, b.wecom_userid, b.updated_at,
        (SELECT o.conversation_id FROM outbox o
         WHERE o.staff_id = b.staff_id AND o.kind = 'robot' AND o.status = 'sent'
         ORDER BY o.sent_at DESC LIMIT 1) AS last_conversation_id
    FROM staff_bindings b";

pub async fn binding(db: &Db, staff_id: &str) -> Result<Option<StaffBinding>, sqlx::Error> {
    let row: Option<BindingRow> = sqlx::query_as(&format!("{BINDING} WHERE b.staff_id = $1"))
        .bind(staff_id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn binding_of_member(db: &Db, userid: &str) -> Result<Option<StaffBinding>, sqlx::Error> {
    let row: Option<BindingRow> = sqlx::query_as(&format!("{BINDING} WHERE b.wecom_userid = $1"))
        .bind(userid)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn bindings(db: &Db) -> Result<Vec<StaffBinding>, sqlx::Error> {
    let rows: Vec<BindingRow> = sqlx::query_as(&format!("{BINDING} ORDER BY b.staff_id"))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// How binding went.
#[derive(Debug)]
pub enum Bound {
    Created(StaffBinding),
    Updated(StaffBinding),
    /// The member is another staff id's.
    MemberTaken {
        staff_id: String,
    },
}

/// Binds `staff_id` to `userid`; the audit entry goes in the same transaction.
pub async fn bind(
    db: &Db,
    staff_id: &str,
    userid: &str,
    by: &str,
    now: i64,
) -> Result<Bound, sqlx::Error> {
    // Written first, read after: one member per staff id is the unique index's to
    // keep, so two requests at once cannot both bind one member.
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO staff_bindings (staff_id, wecom_userid, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (staff_id) DO NOTHING",
    )
    .bind(staff_id)
    .bind(userid)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map(|done| done.rows_affected() == 1);
    let written = match inserted {
        Ok(false) => sqlx::query(
            "UPDATE staff_bindings SET wecom_userid = $1, updated_at = $2 WHERE staff_id = $3",
        )
        .bind(userid)
        .bind(now)
        .bind(staff_id)
        .execute(&mut *tx)
        .await
        .map(|_| false),
        other => other,
    };
    let created = match written {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            let other: Option<String> =
                sqlx::query_scalar("SELECT staff_id FROM staff_bindings WHERE wecom_userid = $1")
                    .bind(userid)
                    .fetch_optional(db)
                    .await?;
            return Ok(Bound::MemberTaken {
                staff_id: other.unwrap_or_default(),
            });
        }
        other => other?,
    };
    crate::audit::record(
        &mut tx,
        by,
        "staff.bound",
        staff_id,
        serde_json::json!({ "wecomUserId": userid }),
    )
    .await?;
    let row: BindingRow = sqlx::query_as(&format!("{BINDING} WHERE b.staff_id = $1"))
        .bind(staff_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(if created {
        Bound::Created(row.into())
    } else {
        Bound::Updated(row.into())
    })
}

/// Removes a binding; false when there was none.
pub async fn unbind(db: &Db, staff_id: &str, by: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let gone = sqlx::query("DELETE FROM staff_bindings WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if gone {
        crate::audit::record(
            &mut tx,
            by,
            "staff.unbound",
            staff_id,
            serde_json::json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(gone)
}

/// Notes that staff are being told about `conversation_id`.
pub async fn notified(tx: &mut Tx<'_>, conversation_id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conversations (id, created_at, last_notified_at) VALUES ($1, $2, $2)
         ON CONFLICT (id) DO UPDATE SET last_notified_at = excluded.last_notified_at",
    )
    .bind(conversation_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The conversation the robot last posted for `staff_id` by `at_ms`: what a reply
/// written then answers (a notification still waiting for the robot's turn is not
/// one the member has seen).
pub async fn posted_before(
    db: &Db,
    staff_id: &str,
    at_ms: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT conversation_id FROM outbox
         WHERE staff_id = $1 AND kind = 'robot' AND status = 'sent' AND sent_at <= $2
         ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(staff_id)
    .bind(at_ms)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Whether the robot posted `conversation_id` for `staff_id`, or for nobody in
/// particular (then anyone in the robot's group saw it): who may answer it by `#id`.
pub async fn may_answer(
    db: &Db,
    staff_id: &str,
    conversation_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox
         WHERE conversation_id = $1 AND kind = 'robot' AND status = 'sent'
           AND (staff_id = $2 OR staff_id IS NULL)",
    )
    .bind(conversation_id)
    .bind(staff_id)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// What storing a reply did.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    /// Stored now, with this id.
    New(i64),
    /// The callback stored it before.
    Again,
    /// No such conversation.
    NoConversation,
}

/// Stores a reply in `conversation_id` unless the callback `source` stored one before.
/// The conversation's row is updated first, so replies to one
/// conversation are written one after another and their ids grow in commit order
/// (a reader paging with `after` never skips one committed late).
pub async fn add_message(
    tx: &mut Tx<'_>,
    conversation_id: &str,
    binding: &StaffBinding,
    text: &str,
    source: &str,
    now: i64,
) -> Result<Added, sqlx::Error> {
    let exists = sqlx::query("UPDATE conversations SET last_message_at = $1 WHERE id = $2")
        .bind(now)
        .bind(conversation_id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if !exists {
        return Ok(Added::NoConversation);
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO conversation_messages
           (conversation_id, staff_id, wecom_userid, text, created_at, source)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source) DO NOTHING RETURNING id",
    )
    .bind(conversation_id)
    .bind(&binding.staff_id)
    .bind(&binding.wecom_user_id)
    .bind(text)
    .bind(now)
    .bind(source)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map_or(Added::Again, Added::New))
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    staff_id: String,
    wecom_userid: String,
    text: String,
    created_at: i64,
}

/// Up to `limit` replies in `conversation_id` after id `after`, oldest first.
pub async fn messages_after(
    db: &Db,
    conversation_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ConversationMessage>, sqlx::Error> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, staff_id, wecom_userid, text, created_at FROM conversation_messages
         WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(conversation_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ConversationMessage {
            id: r.id,
            staff_id: r.staff_id,
            wecom_user_id: r.wecom_userid,
            text: r.text,
            created_at: r.created_at,
        })
        .collect())
}
