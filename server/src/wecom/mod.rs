//! Everything that talks to WeCom or speaks its protocols: the API client with its
//! token/ticket caches, the shapes of its answers, its errcodes, callback crypto and
//! JS-SDK signing.

pub mod cache;
pub mod client;
pub mod crypto;
pub mod errors;
pub mod jssdk;
pub mod store;
pub mod types;

pub use client::{with_deadline, within_deadline, RetryPolicy, WeComClient};
pub use errors::{explain, AdminDetail, Explanation, WeComError, WeComErrorKind, RATE_LIMIT_WAIT};
