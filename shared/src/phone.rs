//! Phone numbers as people type them into WeCom remarks and business systems.

/// The key two phone numbers are compared by. A mainland mobile in any common
/// spelling (spaces, dashes, brackets, dots, `+86` / `0086` / `86` prefixes,
/// full-width digits) becomes its 11 digits; anything else is kept as typed (trimmed)
/// and so only matches itself.
pub fn normalize_phone(raw: &str) -> String {
    let trimmed = raw.trim();
    let mut cleaned = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' | '+' => cleaned.push(c),
            // Full-width digits and plus.
            '０'..='９' => cleaned.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '＋' => cleaned.push('+'),
            ' ' | '\u{3000}' | '\u{a0}' | '\t' | '-' | '‐' | '–' | '—' | '－' | '(' | ')'
            | '（' | '）' | '[' | ']' | '.' | '．' => {}
            // A letter or any other sign: not a phone number we can read.
            _ => return trimmed.to_string(),
        }
    }
    let digits = cleaned
        .strip_prefix("+86")
        .or_else(|| cleaned.strip_prefix("0086"))
        .or_else(|| {
            (cleaned.len() == 13)
                .then(|| cleaned.strip_prefix("86"))
                .flatten()
        })
        .unwrap_or(&cleaned);
    let is_mobile =
        digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit());
    if is_mobile {
        digits.to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_spelling_of_a_mobile_is_the_same_key() {
        for spelling in [
            "13800138000",
            " 13800138000 ",
            "138 0013 8000",
            "138-0013-8000",
            "138.0013.8000",
            "(138) 0013 8000",
            "（138）0013-8000",
            "+86 13800138000",
            "+86-138-0013-8000",
            "+8613800138000",
            "0086 13800138000",
            "8613800138000",
            "１３８００１３８０００",
            "＋８６ １３８ ００１３ ８０００",
            "138\u{3000}0013\u{3000}8000",
        ] {
            assert_eq!(normalize_phone(spelling), "13800138000", "{spelling:?}");
        }
    }

    #[test]
    fn what_is_not_a_mainland_mobile_is_kept_as_typed() {
        assert_eq!(normalize_phone("021-6123 4567"), "021-6123 4567");
        assert_eq!(normalize_phone(" 12345 "), "12345");
        assert_eq!(normalize_phone("+852 9123 4567"), "+852 9123 4567");
        assert_eq!(normalize_phone("138 0013 800"), "138 0013 800");
        assert_eq!(normalize_phone("tel 13800138000"), "tel 13800138000");
        assert_eq!(normalize_phone(""), "");
    }

    #[test]
    fn a_landline_and_a_mobile_never_collide() {
        assert_ne!(
            normalize_phone("23800138000"),
            normalize_phone("13800138000")
        );
        assert_ne!(normalize_phone("86 23800138000"), "23800138000");
    }
}
