//! A handover as the admin console reads it.

use desk_shared::handover::{Counts, Handover, HandoverCounts, HandoverItem};
use desk_shared::Person;

use super::store::{HandoverRow, ItemRow};

/// Where an item is, as answered: `sending` (mid-call) reads as `pending`.
fn shown_state(state: &str) -> &str {
    match state {
        "sending" => "pending",
        other => other,
    }
}

fn count(items: &[ItemRow], kind: &str) -> Counts {
    let mut c = Counts::default();
    for i in items.iter().filter(|i| i.kind == kind) {
        c.total += 1;
        match i.state.as_str() {
            "done" => c.done += 1,
            "waiting" | "scheduled" => c.waiting += 1,
            "failed" | "refused" => c.failed += 1,
            _ => {}
        }
    }
    c
}

/// `running` while anything is pending, `waiting` while only customers' 24 h or
/// next day's groups are left, then `done` or `done_with_failures`.
fn status(row: &HandoverRow, items: &[ItemRow]) -> &'static str {
    if items
        .iter()
        .any(|i| matches!(i.state.as_str(), "pending" | "sending"))
    {
        "running"
    } else if row.finished_at.is_none() {
        "waiting"
    } else if items
        .iter()
        .any(|i| matches!(i.state.as_str(), "failed" | "refused"))
    {
        "done_with_failures"
    } else {
        "done"
    }
}

/// The counts of each kind, for the `handover.finished` event and the answer.
pub fn counts(items: &[ItemRow]) -> HandoverCounts {
    HandoverCounts {
        customers: count(items, "customer"),
        groups: count(items, "group"),
        orders: count(items, "order"),
    }
}

/// The handover with the names given, and its items when `with_items`.
pub fn handover(
    row: &HandoverRow,
    from: Person,
    to: Person,
    items: &[ItemRow],
    with_items: bool,
) -> Handover {
    Handover {
        id: row.id.clone(),
        from,
        to,
        kind: row.kind.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        finished_at: row.finished_at,
        status: status(row, items).into(),
        counts: counts(items),
        items: match with_items {
            true => items
                .iter()
                .map(|i| HandoverItem {
                    kind: i.kind.clone(),
                    id: i.item_id.clone(),
                    name: i.name.clone(),
                    state: shown_state(&i.state).into(),
                    reason: i.reason.clone(),
                    at: i.at,
                })
                .collect(),
            false => Vec::new(),
        },
    }
}
