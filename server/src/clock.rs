//! Time: the wall clock as WeCom and the database count it, and the `Clock` an
//! application is built with, which tests move forward instead of sleeping
//! (both from `desk_wecom::clock`, shared with the simulator).

pub use desk_wecom::clock::{now_millis, now_secs, Clock};
