//! Calendar days as WeCom's statistics count them: Beijing (UTC+8) days, each named
//! `YYYY-MM-DD` and starting at 00:00 Beijing.

use time::{Date, Month};

/// Beijing is UTC+8 all year.
const BEIJING_SECS: i64 = 8 * 3600;
/// The Julian day of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The Beijing day `secs` (unix seconds) falls on.
pub fn day_of(secs: i64) -> Date {
    let days = (secs + BEIJING_SECS).div_euclid(86_400);
    Date::from_julian_day((UNIX_EPOCH_JULIAN_DAY + days) as i32).unwrap_or(Date::MIN)
}

/// Unix seconds at 00:00 Beijing of `day` (what WeCom's `day_begin_time` takes).
pub fn start_of(day: Date) -> i64 {
    (i64::from(day.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * 86_400 - BEIJING_SECS
}

/// `YYYY-MM-DD`.
pub fn name(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// A `YYYY-MM-DD` that names a real day (years 2000 to 2999).
pub fn parse(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |r: std::ops::Range<usize>| text.get(r)?.parse::<u16>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(2000..3000).contains(&year) {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beijing_day_starts_at_16_utc_the_day_before() {
        // 2026-12-04 00:00 Beijing = 2026-12-03 16:00 UTC = 1796313600.
        let day = parse("2026-12-04").expect("a day");
        assert_eq!(start_of(day), 1_796_313_600);
        assert_eq!(name(day_of(1_796_313_600)), "2026-12-04");
        assert_eq!(name(day_of(1_796_313_599)), "2026-12-03");
        assert_eq!(name(day_of(1_796_313_600 + 86_399)), "2026-12-04");
    }

    #[test]
    fn only_real_days_parse() {
        assert!(parse("2026-02-29").is_none());
        assert!(parse("2028-02-29").is_some());
        assert!(parse("2026-13-01").is_none());
        assert!(parse("2026-1-01").is_none());
        assert!(parse("１９９９-01-01").is_none());
        assert!(parse("1999-01-01").is_none());
        assert_eq!(parse("2026-12-04").map(name).as_deref(), Some("2026-12-04"));
    }
}
