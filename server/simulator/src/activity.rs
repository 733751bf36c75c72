//! What happens in customer groups day by day, for 群聊数据统计 (D-96359): the
//! messages sent in each group per Beijing day and who sent them. Group creation and
//! joins come from the groups themselves (`create_time`, `join_time`); messages come
//! from what members send into a group from the simulated client (`sendChatMessage`),
//! from `POST /sim/groups/{chatId}/activity`, and, for a fixture that asks for it
//! (`[activity] generate_days`, the demo corp), from deterministic made-up history.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use desk_wecom::types::{GroupChat, GroupStatisticData};
use serde::Serialize;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Beijing time is UTC+8: WeCom's days start at 00:00 there.
const BEIJING: i64 = 8 * 3600;

/// The Beijing day (days since 1970-01-01) that unix second `secs` falls in.
pub fn day_of(secs: i64) -> i64 {
    (secs + BEIJING).div_euclid(DAY)
}

/// Unix seconds at 00:00 Beijing of `day`.
pub fn day_start(day: i64) -> i64 {
    day * DAY - BEIJING
}

/// `YYYY-MM-DD` as a day number; `None` when it is not a real date.
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A day number as `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One group's messages on one day.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DayActivity {
    pub messages: u64,
    /// Who sent at least one of them.
    pub speakers: BTreeSet<String>,
}

/// Messages per group per Beijing day.
#[derive(Debug, Default)]
pub struct Activity {
    chats: HashMap<String, BTreeMap<i64, DayActivity>>,
}

impl Activity {
    /// Adds `messages` sent on `day` in `chat_id`, by `speakers`; the day's totals.
    pub fn record(
        &mut self,
        chat_id: &str,
        day: i64,
        messages: u64,
        speakers: impl IntoIterator<Item = String>,
    ) -> &DayActivity {
        let a = self
            .chats
            .entry(chat_id.to_string())
            .or_default()
            .entry(day)
            .or_default();
        a.messages += messages;
        a.speakers.extend(speakers);
        a
    }

    /// What happened in `chat_id` on `day`.
    pub fn day(&self, chat_id: &str, day: i64) -> Option<&DayActivity> {
        self.chats.get(chat_id)?.get(&day)
    }

    /// Every day with activity in `chat_id`, oldest first.
    pub fn days(&self, chat_id: &str) -> impl Iterator<Item = (i64, &DayActivity)> {
        self.chats
            .get(chat_id)
            .into_iter()
            .flat_map(|days| days.iter().map(|(d, a)| (*d, a)))
    }

    /// Made-up history for the `days` days before `today`: for each group with at
    /// least one customer, deterministic by chat id and date. About one day in four is
    /// quiet; weekends are busier; the speakers are people of the group.
    pub fn generate<'a>(
        &mut self,
        groups: impl Iterator<Item = &'a GroupChat>,
        today: i64,
        days: i64,
    ) {
        for g in groups {
            if !g.member_list.iter().any(|m| m.kind == 2) {
                continue;
            }
            let mut people: Vec<&str> = g.member_list.iter().map(|m| m.userid.as_str()).collect();
            if !people.contains(&g.owner.as_str()) {
                people.push(&g.owner);
            }
            for day in (today - days).max(day_of(g.create_time))..today {
                let mut r = Rng::new(&g.chat_id, day);
                if r.below(100) < 25 {
                    continue;
                }
                // 1970-01-01 was a Thursday: 0 Sunday … 6 Saturday.
                let weekend = matches!((day + 4).rem_euclid(7), 0 | 6);
                let messages = if weekend { 6 } else { 2 } + r.below(10);
                let count = (1 + r.below(people.len() as u64)).min(messages) as usize;
                let first = r.below(people.len() as u64) as usize;
                let speakers = (0..count).map(|i| people[(first + i) % people.len()].to_string());
                self.record(&g.chat_id, day, messages, speakers);
            }
        }
    }
}

/// splitmix64 seeded by a chat id (FNV-1a) and a day: the same history every start.
struct Rng(u64);

impl Rng {
    fn new(chat_id: &str, day: i64) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in chat_id.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(h ^ (day as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What WeCom counts for one group on one day: created that day (`new_chat_cnt`),
/// existing by its end (`chat_total`), had messages (`chat_has_msg`), people who joined
/// that day other than the owner (`new_member_cnt`), people in it at the day's end
/// (`member_total`), people who sent messages (`member_has_msg`), messages
/// (`msg_total`). Nothing before the group was created.
pub fn group_day(g: &GroupChat, activity: &Activity, day: i64) -> GroupStatisticData {
    let end = day_start(day + 1);
    if g.create_time >= end {
        return GroupStatisticData::default();
    }
    let a = activity.day(&g.chat_id, day);
    let messages = a.map_or(0, |a| a.messages) as i64;
    GroupStatisticData {
        new_chat_cnt: i64::from(day_of(g.create_time) == day),
        chat_total: 1,
        chat_has_msg: i64::from(messages > 0),
        new_member_cnt: g
            .member_list
            .iter()
            .filter(|m| m.userid != g.owner && day_of(m.join_time) == day)
            .count() as i64,
        member_total: g.member_list.iter().filter(|m| m.join_time < end).count() as i64,
        member_has_msg: a.map_or(0, |a| a.speakers.len()) as i64,
        msg_total: messages,
        migrate_trainee_chat_cnt: 0,
    }
}

/// `into += add`, field by field.
pub fn add(into: &mut GroupStatisticData, add: &GroupStatisticData) {
    into.new_chat_cnt += add.new_chat_cnt;
    into.chat_total += add.chat_total;
    into.chat_has_msg += add.chat_has_msg;
    into.new_member_cnt += add.new_member_cnt;
    into.member_total += add.member_total;
    into.member_has_msg += add.member_has_msg;
    into.msg_total += add.msg_total;
    into.migrate_trainee_chat_cnt += add.migrate_trainee_chat_cnt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_beijing_days_and_dates_round_trip() {
        // 2019-04-03 21:00 Beijing is 13:00 UTC: the page's example rounds it to
        // 1554220800, 2019-04-03 00:00 Beijing.
        assert_eq!(day_start(day_of(1_554_296_400)), 1_554_220_800);
        assert_eq!(format_day(day_of(1_554_296_400)), "2019-04-03");
        assert_eq!(parse_day("2019-04-03"), Some(day_of(1_554_296_400)));
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(format_day(-1), "1969-12-31");
        for day in [0, 18_000, 19_782, 20_500] {
            assert_eq!(parse_day(&format_day(day)), Some(day));
        }
        assert_eq!(
            parse_day("2024-02-29").map(format_day).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "2024-01-01-1",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn made_up_history_is_the_same_every_time_and_only_for_groups_with_customers() {
        let group = |id: &str, customer: bool| {
            let mut g: GroupChat = serde_json::from_value(serde_json::json!({
                "chat_id": id, "name": "", "owner": "o", "create_time": 0,
                "member_list": [{"userid": "o", "type": 1, "join_time": 0, "join_scene": 1}]
            }))
            .expect("group");
            if customer {
                let mut m = g.member_list[0].clone();
                m.userid = "wm1".into();
                m.kind = 2;
                g.member_list.push(m);
            }
            g
        };
        let groups = [group("wrA", true), group("wrB", false)];
        let (mut a, mut b) = (Activity::default(), Activity::default());
        a.generate(groups.iter(), 20_000, 30);
        b.generate(groups.iter(), 20_000, 30);
        let days: Vec<_> = a.days("wrA").map(|(d, x)| (d, x.messages)).collect();
        assert_eq!(
            days,
            b.days("wrA")
                .map(|(d, x)| (d, x.messages))
                .collect::<Vec<_>>()
        );
        assert!(days.len() >= 10 && days.len() < 30, "{}", days.len());
        assert!(days
            .iter()
            .all(|(d, m)| (19_970..20_000).contains(d) && *m >= 2));
        assert_eq!(a.days("wrB").count(), 0);
    }
}
