//! The one rule for every id the product accepts (orders, staff, members, chats,
//! customers), and the one rule for text that reaches WeCom or the console.
//!
//! An id is something people compare by eye in the console and the audit log, and
//! something that ends up in a URL path: so no character that is invisible, reorders
//! text or changes a URL's meaning there may be in it.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Why an id was refused, in Chinese, for the `{field}：{why}` of an `invalid_field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdProblem(pub String);

/// Whether `c` may never be part of an id: controls (C0, C1), whitespace, the
/// direction marks and overrides, Unicode format characters (Cf: U+200B, U+FEFF,
/// U+00AD, …) and the other default-ignorable characters that render as nothing
/// (U+034F, the variation selectors, the Hangul fillers, …).
pub fn forbidden_in_id(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || desk_shared::is_control_or_bidi(c)
        || c.general_category() == GeneralCategory::Format
        || matches!(
            c,
            '\u{034f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{ffa0}'
                | '\u{e0100}'..='\u{e01ef}'
        )
}

/// Checks an id of at most `max_chars` characters: not empty, not made of dots only
/// (`.` and `..` are path segments to every URL parser), no `/`, nothing
/// `forbidden_in_id`.
pub fn check_id(id: &str, max_chars: usize) -> Result<(), IdProblem> {
    let n = id.chars().count();
    if n == 0 || n > max_chars {
        return Err(IdProblem(format!("须为 1~{max_chars} 个字符")));
    }
    if id.chars().all(|c| c == '.') {
        return Err(IdProblem("不能只由点（.）组成".into()));
    }
    if id.contains('/') || id.contains('\\') {
        return Err(IdProblem("不能含 / 或 \\".into()));
    }
    if id.chars().any(forbidden_in_id) {
        return Err(IdProblem(
            "不能含空白、控制字符、文字方向控制符或不可见字符".into(),
        ));
    }
    Ok(())
}

/// The longest order id, staff id or member userid.
pub const MAX_ID_CHARS: usize = 64;

/// An id of ours that passed its rule: made only by `parse`, so a function that takes
/// one cannot be handed an unchecked string.
macro_rules! checked_id {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The id, if it passes the rule; why not, in Chinese, otherwise.
            pub fn parse(id: &str) -> Result<Self, IdProblem> {
                let check: fn(&str) -> Result<(), IdProblem> = $check;
                check(id).map(|()| Self(id.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_id!(
    /// The business system's order id (`check_id`, at most 64 characters).
    OrderId,
    |id| check_id(id, MAX_ID_CHARS)
);
checked_id!(
    /// A business staff id (`check_id`, at most 64 characters).
    StaffId,
    |id| check_id(id, MAX_ID_CHARS)
);
checked_id!(
    /// A member's WeCom userid (`check_id`, at most 64 characters).
    MemberId,
    |id| check_id(id, MAX_ID_CHARS)
);
checked_id!(
    /// A website conversation: 1..=64 of `[0-9A-Za-z_.:-]`, so staff can type it after `#`.
    ConversationId,
    |id| match desk_shared::integration::is_conversation_id(id) {
        true => Ok(()),
        false => Err(IdProblem(
            "须为 1~64 个字母、数字或 _ . : - （成员回复时在 # 后输入它）".into(),
        )),
    }
);
checked_id!(
    /// An external userid or chat id as WeCom writes them: 1..=128 of `[A-Za-z0-9_-]`;
    /// anything else is nobody's.
    WeComId,
    |id| match (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        true => Ok(()),
        false => Err(IdProblem("不是企业微信的 ID".into())),
    }
);

/// Checks text that is sent into WeCom or shown in the console (a notification, a
/// quick reply, a chat's name): line breaks and tabs are text, other controls and the
/// direction marks and overrides are not. Other invisible characters stay allowed:
/// emoji sequences need U+200D.
pub fn check_text(text: &str) -> Result<(), IdProblem> {
    if text
        .chars()
        .any(|c| c != '\n' && c != '\t' && desk_shared::is_control_or_bidi(c))
    {
        return Err(IdProblem(
            "不能含控制字符（换行和制表符除外）或文字方向控制符".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_slashes_and_invisible_characters_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "...",
            "a/b",
            "a\\b",
            "DD 1",
            "DD\t1",
            "DD\u{0}1",
            "DD\u{1b}1",
            "DD\u{85}1",
            "DD\u{202e}1",
            "s-zhang\u{200b}wei",
            "P3-\u{200b}1",
            "\u{feff}DD-1",
            "DD\u{ad}1",
            "DD\u{34f}1",
            "DD\u{2060}1",
            "DD\u{3000}1",
            "DD\u{fe0f}1",
            "DD\u{e0041}1",
        ] {
            assert!(check_id(bad, 64).is_err(), "{bad:?} accepted");
        }
        assert!(check_id(&"x".repeat(65), 64).is_err());
    }

    #[test]
    fn ordinary_ids_pass() {
        for good in [
            "DD-1001",
            "订单-城南店-0001",
            "s-zhangwei",
            "zhangwei",
            "a.b",
            "..a",
            "wmAbC_-123",
            "x%2e",
        ] {
            assert_eq!(check_id(good, 64), Ok(()), "{good:?}");
        }
        assert!(check_id(&"订".repeat(64), 64).is_ok());
    }

    #[test]
    fn each_kind_of_id_is_made_only_from_what_passes_its_rule() {
        assert_eq!(
            OrderId::parse("DD-1").map(|i| i.to_string()),
            Ok("DD-1".into())
        );
        assert!(OrderId::parse("..").is_err());
        assert!(StaffId::parse("s-zhang\u{200b}wei").is_err());
        assert!(ConversationId::parse("web-1:2").is_ok());
        assert!(ConversationId::parse("web 1").is_err());
        assert!(WeComId::parse("wmAbC_-1").is_ok());
        assert!(WeComId::parse("wm/../x").is_err());
        assert!(WeComId::parse(&"w".repeat(129)).is_err());
    }

    #[test]
    fn text_keeps_line_breaks_tabs_and_emoji_but_not_controls_or_overrides() {
        assert!(check_text("您好，\n\t订单 DD-1 已确认 👨\u{200d}👩\u{200d}👧").is_ok());
        for bad in [
            "a\u{0}b",
            "a\u{1b}[31mb",
            "a\rb",
            "a\u{202e}b",
            "a\u{2066}b",
        ] {
            assert!(check_text(bad).is_err(), "{bad:?}");
        }
    }
}
