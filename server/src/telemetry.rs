//! Logging: a `RUST_LOG`-style filter.

use tracing_subscriber::EnvFilter;

/// Logs at `default` (an `EnvFilter` directive) unless `RUST_LOG` says otherwise.
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Tests may call this more than once.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
