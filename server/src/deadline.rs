//! How long the request being served may still wait on others (WeCom, a lease held
//! by another instance): set per HTTP request by `edge::guard`; background work runs
//! outside it with budgets of its own.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    /// When the request being served stops waiting.
    static DEADLINE: Instant;
}

/// The current request's deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request's deadline passed")]
pub struct DeadlinePassed;

/// Runs `work` with everything in it that waits bounded, all together, by `budget`.
pub async fn with_deadline<F: Future>(budget: Duration, work: F) -> F::Output {
    DEADLINE.scope(Instant::now() + budget, work).await
}

/// When the current request stops waiting, if this task serves one.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// `work` cut off at the current request's deadline, if there is one (read when this
/// is called). A plain function, not an `async fn`: the future it returns holds `work`
/// once, where an `async fn` would hold it twice, and WeCom calls nest these.
pub fn within_deadline<F: Future>(
    work: F,
) -> impl Future<Output = Result<F::Output, DeadlinePassed>> {
    use futures::future::{Either, FutureExt};
    match current() {
        Some(deadline) => Either::Left(
            tokio::time::timeout_at(deadline, work).map(|r| r.map_err(|_| DeadlinePassed)),
        ),
        None => Either::Right(work.map(Ok)),
    }
}
