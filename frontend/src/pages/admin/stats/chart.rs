//! The day-by-day chart of the 数据 section: an inline SVG drawn here (no chart
//! library), two lines: 消息数 on the left scale and 有消息的群 on the right one (a
//! few groups beside hundreds of messages would otherwise lie flat on the axis).

use std::collections::BTreeMap;

use desk_shared::storevisit::GroupDay;
use leptos::prelude::*;

/// The drawing's own units; the SVG scales to the width of its box (`viewBox`), and
/// at 360 px it is drawn about 1:1, so the labels stay readable on a phone.
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 6.0;
const RIGHT: f64 = WIDTH - 6.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = HEIGHT - 22.0;
/// At most this many dates under the axis.
const DATE_LABELS: usize = 5;

/// Each day's counts summed over the designers shown, days in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Series {
    pub days: Vec<String>,
    pub messages: Vec<i64>,
    pub chats_with_messages: Vec<i64>,
}

impl Series {
    pub fn of(days: &[GroupDay]) -> Self {
        let mut by_day = BTreeMap::<&str, (i64, i64)>::new();
        for d in days {
            let sum = by_day.entry(d.day.as_str()).or_default();
            sum.0 += d.stats.messages;
            sum.1 += d.stats.chats_with_messages;
        }
        let mut s = Series::default();
        for (day, (messages, chats)) in by_day {
            s.days.push(day.to_string());
            s.messages.push(messages);
            s.chats_with_messages.push(chats);
        }
        s
    }
}

/// Where the `i`th of `n` days is drawn.
fn x(i: usize, n: usize) -> f64 {
    if n <= 1 {
        return (LEFT + RIGHT) / 2.0;
    }
    LEFT + (RIGHT - LEFT) * i as f64 / (n - 1) as f64
}

/// Where `v` is drawn on a scale up to `max` (the top of the plot).
fn y(v: i64, max: i64) -> f64 {
    BOTTOM - (BOTTOM - TOP) * v.max(0) as f64 / max.max(1) as f64
}

/// The `points` of a polyline through `values`, on a scale up to their largest.
fn points(values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x(i, values.len()), y(*v, max)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `MM-DD` of a `YYYY-MM-DD`.
pub(super) fn month_day(day: &str) -> &str {
    day.get(5..).unwrap_or(day)
}

/// The days labelled under the axis: the first, the last and a few evenly between.
fn labelled(n: usize) -> Vec<usize> {
    if n <= DATE_LABELS {
        return (0..n).collect();
    }
    let mut at: Vec<usize> = (0..DATE_LABELS)
        .map(|k| k * (n - 1) / (DATE_LABELS - 1))
        .collect();
    at.dedup();
    at
}

/// The chart of `series`, with its legend.
#[component]
pub(super) fn Chart(
    /// The days to draw (at least one).
    series: Series,
) -> impl IntoView {
    let n = series.days.len();
    let max_messages = series.messages.iter().copied().max().unwrap_or(0);
    let max_chats = series
        .chats_with_messages
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let label = format!(
        "{} 至 {}：消息数最高 {max_messages}，有消息的群最多 {max_chats} 个",
        series.days.first().cloned().unwrap_or_default(),
        series.days.last().cloned().unwrap_or_default(),
    );
    let dates = labelled(n)
        .into_iter()
        .map(|i| {
            let anchor = match i {
                0 if n > 1 => "start",
                i if i + 1 == n && n > 1 => "end",
                _ => "middle",
            };
            view! {
                <text x=format!("{:.1}", x(i, n)) y=HEIGHT - 6.0 text-anchor=anchor>
                    {month_day(&series.days[i]).to_string()}
                </text>
            }
        })
        .collect_view();
    // A dot a day: a single day draws no line.
    let dots = |values: &[i64], class: &'static str| {
        let max = values.iter().copied().max().unwrap_or(0);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                view! { <circle class=class cx=format!("{:.1}", x(i, values.len())) cy=format!("{:.1}", y(*v, max)) r="2" /> }
            })
            .collect_view()
    };
    view! {
        <figure class="chart" data-testid="stats-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                <line class="axis" x1=LEFT y1=TOP x2=RIGHT y2=TOP />
                <line class="axis" x1=LEFT y1=BOTTOM x2=RIGHT y2=BOTTOM />
                <text class="max-messages" x=LEFT y=TOP - 6.0 text-anchor="start">{format!("最高 {max_messages}")}</text>
                <text class="max-chats" x=RIGHT y=TOP - 6.0 text-anchor="end">{format!("最多 {max_chats} 个群")}</text>
                <polyline class="line-messages" data-series="messages" points=points(&series.messages) />
                <polyline class="line-chats" data-series="chatsWithMessages" points=points(&series.chats_with_messages) />
                {dots(&series.messages, "line-messages")}
                {dots(&series.chats_with_messages, "line-chats")}
                {dates}
            </svg>
            <figcaption class="legend">
                <span><i class="swatch line-messages"></i>"消息数（左侧刻度）"</span>
                <span><i class="swatch line-chats"></i>"有消息的群（右侧刻度）"</span>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_shared::storevisit::GroupStats;

    fn day(day: &str, designer: &str, messages: i64, chats: i64) -> GroupDay {
        GroupDay {
            day: day.into(),
            designer: designer.into(),
            stats: GroupStats {
                messages,
                chats_with_messages: chats,
                ..GroupStats::default()
            },
        }
    }

    #[test]
    fn the_chart_sums_each_day_over_the_designers_in_day_order() {
        let s = Series::of(&[
            day("2024-05-02", "a", 5, 1),
            day("2024-05-01", "a", 3, 1),
            day("2024-05-02", "b", 7, 2),
        ]);
        assert_eq!(s.days, ["2024-05-01", "2024-05-02"]);
        assert_eq!(s.messages, [3, 12]);
        assert_eq!(s.chats_with_messages, [1, 3]);
    }

    #[test]
    fn the_largest_value_touches_the_top_and_zero_the_axis() {
        assert_eq!(
            points(&[0, 10]),
            format!("{LEFT:.1},{BOTTOM:.1} {RIGHT:.1},{TOP:.1}")
        );
        // Nothing but zeros: a flat line on the axis, not a division by zero.
        assert_eq!(points(&[0]), format!("180.0,{BOTTOM:.1}"));
    }

    #[test]
    fn dates_are_labelled_first_last_and_between() {
        assert_eq!(labelled(3), [0, 1, 2]);
        assert_eq!(labelled(30), [0, 7, 14, 21, 29]);
        assert_eq!(month_day("2024-05-01"), "05-01");
    }
}
