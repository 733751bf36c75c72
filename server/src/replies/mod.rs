//! Quick replies (话术): the team's ready-made replies. Admins keep them in the console
//! (`/api/admin/replies…`: write, reorder, delete, each audited); members list them in
//! the sidebar by group and say when they sent one into a chat (`/api/replies…`,
//! counted in `useCount` and audited). Placeholders (`{客户}` …) are filled on the page.

mod error;
mod routes;
pub mod store;

use desk_shared::is_control_or_bidi;
use desk_shared::replies::{
    Reply, ReplyGroup, ReplyInput, ReplySent, DEFAULT_GROUP, GROUP_MAX, TEXT_MAX, TITLE_MAX,
};

use error::invalid;
pub use error::RepliesError;
pub use routes::{configure, Api};
use store::NewReply;

use crate::clock::Clock;
use crate::db::Db;

/// The most replies kept: the sidebar lists them all at once.
pub const MAX_REPLIES: usize = 500;
/// The longest customer id or chat id a `sent` may name.
const WHERE_MAX: usize = 64;

/// What the quick replies need: the database and the application's clock.
pub struct QuickReplies {
    db: Db,
    clock: Clock,
}

impl QuickReplies {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    /// Every reply, in the order the admins gave.
    pub async fn all(&self) -> Result<Vec<Reply>, RepliesError> {
        let rows = store::all(&self.db).await?;
        Ok(rows.into_iter().map(Reply::from).collect())
    }

    /// Every reply by group: a group where its first reply is, its replies in order.
    pub async fn groups(&self) -> Result<Vec<ReplyGroup>, RepliesError> {
        Ok(by_group(self.all().await?))
    }

    /// Appends a reply after the last one.
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, admin: &str, input: &ReplyInput) -> Result<Reply, RepliesError> {
        let checked = Checked::of(input)?;
        let mut tx = self.db.begin().await?;
        let row = store::append(
            &mut tx,
            &checked.as_new(),
            admin,
            self.clock.now_secs(),
            MAX_REPLIES,
        )
        .await?
        .ok_or(RepliesError::Full)?;
        // The text too: an edit that swaps it (a link, say) and back must show.
        let detail =
            serde_json::json!({ "title": row.title, "group": row.group_name, "text": row.text });
        crate::audit::record(&mut tx, admin, "reply.created", &row.id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Rewrites reply `id` (its place and its count stay).
    #[tracing::instrument(skip(self, input))]
    pub async fn update(
        &self,
        admin: &str,
        id: i64,
        input: &ReplyInput,
    ) -> Result<Reply, RepliesError> {
        let checked = Checked::of(input)?;
        let mut tx = self.db.begin().await?;
        let row = store::update(&mut tx, id, &checked.as_new(), admin, self.clock.now_secs())
            .await?
            .ok_or(RepliesError::NotFound)?;
        // The text too: an edit that swaps it (a link, say) and back must show.
        let detail =
            serde_json::json!({ "title": row.title, "group": row.group_name, "text": row.text });
        crate::audit::record(&mut tx, admin, "reply.updated", &id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, admin: &str, id: i64) -> Result<(), RepliesError> {
        let mut tx = self.db.begin().await?;
        let title = store::delete(&mut tx, id)
            .await?
            .ok_or(RepliesError::NotFound)?;
        let detail = serde_json::json!({ "title": title });
        crate::audit::record(&mut tx, admin, "reply.deleted", &id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts the replies in the order of `ids`, which must name every reply once (an
    /// admin whose page missed another's change reloads first).
    #[tracing::instrument(skip(self, ids), fields(n = ids.len()))]
    pub async fn reorder(&self, admin: &str, ids: &[i64]) -> Result<Vec<Reply>, RepliesError> {
        let mut tx = self.db.begin().await?;
        store::lock_list(&mut tx).await?;
        let mut now: Vec<i64> = store::ids(&mut tx).await?;
        let mut asked = ids.to_vec();
        now.sort_unstable();
        asked.sort_unstable();
        if now != asked {
            return Err(invalid(
                "ids",
                "须是现有全部话术的 ID、每条一次：话术列表可能已被别人改过，请刷新页面后再排序",
            ));
        }
        store::set_order(&mut tx, ids).await?;
        let detail = serde_json::json!({ "ids": ids });
        crate::audit::record(&mut tx, admin, "reply.reordered", "replies", detail).await?;
        tx.commit().await?;
        self.all().await
    }

    /// Counts one use of reply `id` by `member`, sent to a customer or into a group.
    #[tracing::instrument(skip(self, to))]
    pub async fn sent(&self, member: &str, id: i64, to: &ReplySent) -> Result<(), RepliesError> {
        let external_user_id = where_sent("externalUserId", to.external_user_id.as_deref())?;
        let chat_id = where_sent("chatId", to.chat_id.as_deref())?;
        let mut tx = self.db.begin().await?;
        let title = store::count_use(&mut tx, id)
            .await?
            .ok_or(RepliesError::NotFound)?;
        let detail = serde_json::json!({
            "title": title,
            "externalUserId": external_user_id,
            "chatId": chat_id,
        });
        crate::audit::record(&mut tx, member, "reply.sent", &id.to_string(), detail).await?;
        tx.commit().await?;
        crate::metrics::reply_sent();
        Ok(())
    }
}

/// A reply's id from the path: a positive number, else no such reply.
pub fn parse_id(raw: &str) -> Result<i64, RepliesError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(RepliesError::NotFound),
    }
}

/// Replies by group, groups in the order their first reply comes.
fn by_group(replies: Vec<Reply>) -> Vec<ReplyGroup> {
    let mut groups: Vec<ReplyGroup> = Vec::new();
    for reply in replies {
        match groups.iter_mut().find(|g| g.name == reply.group) {
            Some(group) => group.replies.push(reply),
            None => groups.push(ReplyGroup {
                name: reply.group.clone(),
                replies: vec![reply],
            }),
        }
    }
    groups
}

/// An optional customer id or chat id a reply was sent to, checked.
fn where_sent(field: &'static str, value: Option<&str>) -> Result<Option<String>, RepliesError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => match crate::ids::check_id(v, WHERE_MAX) {
            Ok(()) => Ok(Some(v.to_string())),
            Err(e) => Err(invalid(field, e.0)),
        },
    }
}

/// A `ReplyInput` within the limits: title and group trimmed, an empty group 常用,
/// the text's line ends `\n`.
#[derive(Debug, PartialEq, Eq)]
struct Checked {
    title: String,
    text: String,
    group: String,
}

impl Checked {
    fn of(input: &ReplyInput) -> Result<Self, RepliesError> {
        let title = input.title.trim();
        let n = title.chars().count();
        if n == 0 {
            return Err(invalid("title", "请填写标题"));
        }
        if n > TITLE_MAX {
            return Err(invalid(
                "title",
                format!("标题最多 {TITLE_MAX} 字（现在 {n} 字），请缩短"),
            ));
        }
        if title.chars().any(is_control_or_bidi) {
            return Err(invalid("title", "标题不能含换行、控制字符或文字方向控制符"));
        }
        let text = input.text.replace("\r\n", "\n");
        let text = text.trim();
        let n = text.chars().count();
        if n == 0 {
            return Err(invalid("text", "请填写话术内容"));
        }
        if n > TEXT_MAX {
            return Err(invalid(
                "text",
                format!("话术内容最多 {TEXT_MAX} 字（现在 {n} 字），请删减后再保存"),
            ));
        }
        if text.chars().any(|c| c != '\n' && is_control_or_bidi(c)) {
            return Err(invalid(
                "text",
                "话术内容不能含控制字符或文字方向控制符（换行可以）",
            ));
        }
        let group = match input.group.trim() {
            "" => DEFAULT_GROUP,
            g => g,
        };
        let n = group.chars().count();
        if n > GROUP_MAX {
            return Err(invalid(
                "group",
                format!("分组名最多 {GROUP_MAX} 字（现在 {n} 字），请缩短"),
            ));
        }
        if group.chars().any(is_control_or_bidi) {
            return Err(invalid(
                "group",
                "分组名不能含换行、控制字符或文字方向控制符",
            ));
        }
        Ok(Self {
            title: title.to_string(),
            text: text.to_string(),
            group: group.to_string(),
        })
    }

    fn as_new(&self) -> NewReply<'_> {
        NewReply {
            title: &self.title,
            text: &self.text,
            group: &self.group,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: i64, group: &str) -> Reply {
        Reply {
            id,
            title: format!("r{id}"),
            text: "t".into(),
            group: group.into(),
            use_count: 0,
        }
    }

    #[test]
    fn groups_follow_their_first_reply_and_keep_the_order_within() {
        let groups = by_group(vec![
            reply(3, "报价"),
            reply(1, "问候"),
            reply(2, "报价"),
            reply(4, "进度"),
            reply(5, "问候"),
        ]);
        let shape: Vec<(&str, Vec<i64>)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.replies.iter().map(|r| r.id).collect()))
            .collect();
        assert_eq!(
            shape,
            [
                ("报价", vec![3, 2]),
                ("问候", vec![1, 5]),
                ("进度", vec![4])
            ]
        );
    }

    #[test]
    fn input_is_trimmed_line_ends_are_kept_and_an_empty_group_is_the_default() {
        let input = ReplyInput {
            title: "  开工提醒 ".into(),
            text: "第一行\r\n第二行\n".into(),
            group: "   ".into(),
        };
        assert_eq!(
            Checked::of(&input).expect("valid"),
            Checked {
                title: "开工提醒".into(),
                text: "第一行\n第二行".into(),
                group: DEFAULT_GROUP.into(),
            }
        );
        let tab = ReplyInput {
            text: "a\tb".into(),
            ..input.clone()
        };
        assert!(matches!(
            Checked::of(&tab),
            Err(RepliesError::InvalidField { field: "text", .. })
        ));
        let bidi = ReplyInput {
            group: "报\u{202e}价".into(),
            ..input
        };
        assert!(matches!(
            Checked::of(&bidi),
            Err(RepliesError::InvalidField { field: "group", .. })
        ));
    }

    #[test]
    fn only_a_plain_positive_number_is_a_reply_id() {
        assert_eq!(parse_id("42").ok(), Some(42));
        for bad in ["", "0", "-1", "+1", "abc", "1.5", "99999999999999999999"] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
    }
}
