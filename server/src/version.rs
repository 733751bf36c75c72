//! What this binary is: the workspace's version and the commit it was built from
//! (`build.rs`), for `wecom-desk --version`, the start-up log and `GET /healthz`.

/// The release, from the workspace's `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit's short hash, or `unknown` when built without git.
pub const COMMIT: &str = env!("DESK_COMMIT");

/// Whether tracked files differed from that commit when it was built.
pub const DIRTY: bool = !env!("DESK_DIRTY").is_empty();

/// `0.1.0 (3f2a9c1)`, or `0.1.0 (3f2a9c1, dirty)`: what `--version` prints after the name.
pub const LONG: &str = if DIRTY {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("DESK_COMMIT"),
        ", dirty)"
    )
} else {
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("DESK_COMMIT"), ")")
};

/// The commit as `/healthz` names it: `3f2a9c1`, or `3f2a9c1-dirty`.
pub const COMMIT_STATE: &str = if DIRTY {
    concat!(env!("DESK_COMMIT"), "-dirty")
} else {
    env!("DESK_COMMIT")
};
