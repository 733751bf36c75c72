//! The 数据 section's table (one row per designer and day, sorted by the column an
//! admin taps) and the same rows as CSV.

use std::cmp::Ordering;

use desk_shared::storevisit::GroupStats;
use leptos::prelude::*;

/// A column of the table (and of the CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Day,
    Designer,
    Chats,
    ChatsWithMessages,
    Members,
    MembersWithMessages,
    Messages,
}

impl Column {
    pub const ALL: [Column; 7] = [
        Column::Day,
        Column::Designer,
        Column::Chats,
        Column::ChatsWithMessages,
        Column::Members,
        Column::MembersWithMessages,
        Column::Messages,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Column::Day => "日期",
            Column::Designer => "设计师",
            Column::Chats => "群数",
            Column::ChatsWithMessages => "有消息的群",
            Column::Members => "群成员",
            Column::MembersWithMessages => "发言成员",
            Column::Messages => "消息数",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Column::Day => "day",
            Column::Designer => "designer",
            Column::Chats => "chats",
            Column::ChatsWithMessages => "chatsWithMessages",
            Column::Members => "members",
            Column::MembersWithMessages => "membersWithMessages",
            Column::Messages => "messages",
        }
    }

    /// The count this column shows, if it is one.
    fn count(self, s: &GroupStats) -> Option<i64> {
        match self {
            Column::Day | Column::Designer => None,
            Column::Chats => Some(s.chats),
            Column::ChatsWithMessages => Some(s.chats_with_messages),
            Column::Members => Some(s.members),
            Column::MembersWithMessages => Some(s.members_with_messages),
            Column::Messages => Some(s.messages),
        }
    }
}

/// How the rows are sorted: a first tap on a count puts the largest first, on a date
/// or a name the earliest; tapping it again reverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sort {
    pub by: Column,
    pub descending: bool,
}

impl Sort {
    /// The sort after tapping `column`'s header.
    pub fn tapped(self, column: Column) -> Sort {
        if self.by == column {
            Sort {
                by: column,
                descending: !self.descending,
            }
        } else {
            Sort {
                by: column,
                descending: column.count(&GroupStats::default()).is_some(),
            }
        }
    }
}

/// One designer on one day, with the designer's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub day: String,
    pub designer: String,
    pub stats: GroupStats,
}

impl Row {
    fn cell(&self, c: Column) -> String {
        match (c, c.count(&self.stats)) {
            (_, Some(n)) => n.to_string(),
            (Column::Day, None) => self.day.clone(),
            (_, None) => self.designer.clone(),
        }
    }
}

/// `rows` sorted by `sort`; equal ones by day, then designer.
pub(super) fn sorted(mut rows: Vec<Row>, sort: Sort) -> Vec<Row> {
    let by = |a: &Row, b: &Row| -> Ordering {
        match (sort.by.count(&a.stats), sort.by.count(&b.stats)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ if sort.by == Column::Designer => a.designer.cmp(&b.designer),
            _ => a.day.cmp(&b.day),
        }
    };
    rows.sort_by(|a, b| {
        let first = if sort.descending { by(b, a) } else { by(a, b) };
        first
            .then_with(|| a.day.cmp(&b.day))
            .then_with(|| a.designer.cmp(&b.designer))
    });
    rows
}

/// A CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The rows as CSV, as the table shows them: a header row, then one line a row;
/// UTF-8 with a byte order mark, so Excel reads the Chinese.
pub(super) fn csv(rows: &[Row]) -> String {
    let mut out = String::from('\u{feff}');
    let line = |cells: Vec<String>| cells.join(",") + "\r\n";
    out += &line(Column::ALL.iter().map(|c| field(c.label())).collect());
    for r in rows {
        out += &line(Column::ALL.iter().map(|c| field(&r.cell(*c))).collect());
    }
    out
}

/// The table: tapping a header sorts by it, again reverses.
#[component]
pub(super) fn StatsTable(
    /// The rows, sorted.
    rows: Vec<Row>,
    /// The sort, changed by the headers.
    sort: RwSignal<Sort>,
) -> impl IntoView {
    let header = move |c: Column| {
        let state = move || {
            let s = sort.get();
            match (s.by == c, s.descending) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            }
        };
        let numeric = c.count(&GroupStats::default()).is_some();
        view! {
            <th scope="col" aria-sort=state class:num=numeric>
                <button class="sort" data-sort=c.key() on:click=move |_| sort.update(|s| *s = s.tapped(c))>
                    {c.label()}
                    <span aria-hidden="true">{move || match state() { "descending" => "↓", "ascending" => "↑", _ => "" }}</span>
                </button>
            </th>
        }
    };
    view! {
        <div class="table-scroll">
            <table class="stats-table" data-testid="stats-table">
                <thead><tr>{Column::ALL.into_iter().map(header).collect_view()}</tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            {Column::ALL.into_iter().map(|c| {
                                let numeric = c.count(&r.stats).is_some();
                                view! { <td class:num=numeric data-col=c.key()>{r.cell(c)}</td> }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, designer: &str, messages: i64) -> Row {
        Row {
            day: day.into(),
            designer: designer.into(),
            stats: GroupStats {
                messages,
                ..GroupStats::default()
            },
        }
    }

    #[test]
    fn a_count_sorts_largest_first_then_reversed() {
        let rows = vec![
            row("05-01", "甲", 3),
            row("05-02", "乙", 9),
            row("05-03", "丙", 5),
        ];
        let first = Sort {
            by: Column::Day,
            descending: false,
        }
        .tapped(Column::Messages);
        let msgs = |rs: Vec<Row>| rs.iter().map(|r| r.stats.messages).collect::<Vec<_>>();
        assert_eq!(msgs(sorted(rows.clone(), first)), [9, 5, 3]);
        assert_eq!(
            msgs(sorted(rows.clone(), first.tapped(Column::Messages))),
            [3, 5, 9]
        );
        let by_day = first.tapped(Column::Day);
        assert!(!by_day.descending, "a date sorts earliest first");
        assert_eq!(sorted(rows, by_day)[0].day, "05-01");
    }

    #[test]
    fn the_csv_has_a_bom_a_header_and_a_line_a_row() {
        let text = csv(&[
            row("2024-05-01", "张伟", 12),
            row("2024-05-02", "=SUM(A1), \"x\"", 0),
        ]);
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(text.starts_with('\u{feff}'));
        assert_eq!(
            lines[0],
            "日期,设计师,群数,有消息的群,群成员,发言成员,消息数"
        );
        assert_eq!(lines[1], "2024-05-01,张伟,0,0,0,0,12");
        assert_eq!(lines[2], "2024-05-02,\"'=SUM(A1), \"\"x\"\"\",0,0,0,0,0");
        assert_eq!(lines[3], "");
        assert_eq!(lines.len(), 4);
    }
}
