//! Quick replies (话术): what admins keep in the console (`/api/admin/replies…`) and
//! the sidebar sends into a chat (`/api/replies…`), and how a reply's placeholders are
//! filled on the page.

use serde::{Deserialize, Serialize};

/// A title's limit, in characters.
pub const TITLE_MAX: usize = 30;
/// A text's limit, in characters (not bytes).
pub const TEXT_MAX: usize = 1000;
/// A group name's limit, in characters.
pub const GROUP_MAX: usize = 20;
/// The group a reply without one is kept in.
pub const DEFAULT_GROUP: &str = "常用";
/// The placeholders a reply's text may hold, as written in it.
pub const PLACEHOLDERS: [&str; 6] = [
    "{客户}",
    "{订单号}",
    "{订单}",
    "{设计师}",
    "{项目经理}",
    "{我}",
];

/// One quick reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    pub id: i64,
    /// At most 30 characters.
    pub title: String,
    /// At most 1,000 characters, with placeholders (`{客户}` …) filled on the page.
    pub text: String,
    /// At most 20 characters.
    pub group: String,
    /// How often members sent it into a chat.
    pub use_count: i64,
}

/// `POST /api/admin/replies`, `PUT /api/admin/replies/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyInput {
    pub title: String,
    pub text: String,
    /// Empty: kept in 常用.
    #[serde(default)]
    pub group: String,
}

/// One group of replies, in the order the admins gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyGroup {
    pub name: String,
    pub replies: Vec<Reply>,
}

/// `GET /api/replies`: the replies a member may send, by group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyGroups {
    pub groups: Vec<ReplyGroup>,
}

/// `GET /api/admin/replies`: every reply, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminReplies {
    pub replies: Vec<Reply>,
}

/// `PUT /api/admin/replies/order`: every reply's id, in the order to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyOrder {
    pub ids: Vec<i64>,
}

/// `POST /api/replies/{id}/sent`: where the sidebar sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReplySent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
}

/// `POST /api/orders/{id}/join-way/media`: the order's join QR code as a WeCom
/// temporary image, for `sendChatMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JoinWayMedia {
    pub media_id: String,
    /// Unix seconds after which WeCom no longer knows `media_id` (3 days after the
    /// upload); the server uploads again once it is older than 2.5 days.
    pub expires_at: i64,
}

/// What a reply's placeholders stand for where it is sent; `None` (or empty) when
/// unknown there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fill {
    pub customer: Option<String>,
    pub order_id: Option<String>,
    pub order_title: Option<String>,
    pub designer: Option<String>,
    pub project_manager: Option<String>,
    pub me: Option<String>,
}

impl Fill {
    fn value(&self, placeholder: &str) -> Option<&str> {
        let v = match placeholder {
            "{客户}" => &self.customer,
            "{订单号}" => &self.order_id,
            "{订单}" => &self.order_title,
            "{设计师}" => &self.designer,
            "{项目经理}" => &self.project_manager,
            "{我}" => &self.me,
            _ => return None,
        };
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// The text with its placeholders filled. A placeholder without a value is left out
/// with what only joined it to the text: the space before it, or the `、` / `，` /
/// `,` after it when it opens a sentence, so `您好{客户}，` reads `您好，`. Braces that
/// are not one of [`PLACEHOLDERS`] stay as written.
pub fn fill(text: &str, values: &Fill) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match PLACEHOLDERS.iter().find(|p| tail.starts_with(**p)) {
            Some(p) => {
                rest = &tail[p.len()..];
                match values.value(p) {
                    Some(v) => out.push_str(v),
                    None => {
                        // Drop the space that only led up to it.
                        while out.ends_with(' ') {
                            out.pop();
                        }
                        // At the start of a line, drop the joiner after it too.
                        if out.is_empty() || out.ends_with('\n') {
                            rest = rest.trim_start_matches([' ', '、', '，', ',']);
                        }
                    }
                }
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Fill {
        Fill {
            customer: Some("王女士".into()),
            order_id: Some("DD-1001".into()),
            order_title: Some("滨江花园 3-1201 全屋整装".into()),
            designer: Some("李娜".into()),
            project_manager: Some("王强".into()),
            me: Some("李娜".into()),
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        let text = "{客户}您好，我是{我}。订单 {订单号}（{订单}）由设计师{设计师}、项目经理{项目经理}负责。";
        assert_eq!(
            fill(text, &all()),
            "王女士您好，我是李娜。订单 DD-1001（滨江花园 3-1201 全屋整装）由设计师李娜、项目经理王强负责。"
        );
    }

    #[test]
    fn a_placeholder_without_a_value_leaves_no_braces_and_no_stray_joiner() {
        let none = Fill::default();
        assert_eq!(fill("{客户}，您好！", &none), "您好！");
        assert_eq!(fill("您好 {客户}，我是{我}。", &none), "您好，我是。");
        assert_eq!(fill("第一行\n{客户}、您好", &none), "第一行\n您好");
        let filled = fill(
            "订单 {订单号} 的群",
            &Fill {
                order_id: Some("  ".into()),
                ..none
            },
        );
        assert!(!filled.contains('{'), "{filled}");
        assert_eq!(filled, "订单 的群");
    }

    #[test]
    fn other_braces_stay_and_odd_input_never_panics() {
        assert_eq!(fill("{名字} {客户", &all()), "{名字} {客户");
        assert_eq!(fill("{{客户}}", &all()), "{王女士}");
        assert_eq!(fill("", &all()), "");
        assert_eq!(fill("{", &Fill::default()), "{");
    }
}
