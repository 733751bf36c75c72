//! Looking after a deployment's database from the command line: `backup` and
//! `restore` (SQLite: consistent copies while the server runs; PostgreSQL: the
//! `pg_dump` / `pg_restore` command to run, printed without the password) and
//! `migrate` (a SQLite database copied row for row into an empty PostgreSQL one).
//! The SQL is in `store.rs`.

mod backup;
mod copy;
mod store;

pub use backup::{backup, restore, tool_url};
pub use copy::{migrate, Copied};

/// The exit status of `backup` and `restore` on PostgreSQL: nothing was done here;
/// the command printed does it.
pub const EXIT_RUN_THIS: u8 = 3;

/// What `backup` or `restore` did.
#[derive(Debug)]
pub enum Outcome {
    /// Done; what to print.
    Done(String),
    /// Nothing done here (PostgreSQL); what to print: the command that does it.
    RunThis(String),
}

/// The tables a backup or restore reports the rows of, when the database has them.
const KEY_TABLES: &[&str] = &[
    "orders",
    "order_groups",
    "join_ways",
    "pool_groups",
    "sessions",
    "staff_bindings",
    "outbox",
    "callback_inbox",
    "audit_log",
    "quick_replies",
    "handovers",
];
