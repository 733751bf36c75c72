//! WeCom's protocol as WeCom Desk speaks it, shared by the server's WeCom client and
//! the simulator (which never depend on each other): the shapes of requests and
//! answers (`types`), errcodes and what each means to a member and an admin
//! (`errors`, `explain`), callback crypto (`crypto`) and JS-SDK signing (`jssdk`).
//! Nothing here does I/O.

pub mod clock;
pub mod crypto;
pub mod errors;
pub mod explain;
pub mod handover;
pub mod jssdk;
pub mod types;

pub use errors::{AdminDetail, WeComError, WeComErrorKind, RATE_LIMIT_WAIT, WECOM_TIMEOUT_MESSAGE};
pub use explain::{explain, Explanation};
