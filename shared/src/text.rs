//! Characters no identifier or name we store or redirect to may hold.

/// Controls (NUL, ESC, CR/LF, tab, …) and the invisible direction marks and
/// overrides that make text read other than it is (U+200E/F, U+202A–E, U+2066–9,
/// U+061C).
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}'
        )
}

/// Escapes text for HTML content and attribute values (the server-rendered pages: login
/// failures, the simulator's pages).
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_overrides_are_caught_and_chinese_is_not() {
        for c in [
            '\0', '\u{1b}', '\r', '\n', '\t', '\u{7f}', '\u{202e}', '\u{2066}', '\u{200f}',
        ] {
            assert!(is_control_or_bidi(c), "{c:?}");
        }
        for c in "王女士-城南店 DD-1001 +86 138".chars() {
            assert!(!is_control_or_bidi(c), "{c:?}");
        }
    }

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
