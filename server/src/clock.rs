//! Wall-clock time as WeCom and the database count it (`desk_wecom::clock`).

pub use desk_wecom::clock::{now_millis, now_secs};
