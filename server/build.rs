//! The commit `wecom-desk --version` names (`DESK_COMMIT`, `DESK_DIRTY`), read from git
//! at build time ("unknown" without git), and with the `embed-h5` feature a check that
//! the H5 it embeds (`dist/`) is built.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| text.trim().to_string())
}

/// Reruns this script when `path` changes; only for a path that exists, since cargo
/// reruns on every build for one that does not.
fn watch(path: &str) {
    if Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]);
    if commit.is_some() {
        // A new commit or another branch: HEAD, the branch it names, or packed refs.
        // The sources too, so that "dirty" is worked out again when they change.
        for name in ["HEAD", "packed-refs"] {
            if let Some(path) = git(&["rev-parse", "--git-path", name]) {
                watch(&path);
            }
        }
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
                watch(&path);
            }
        }
        watch("src");
    }
    // Tracked files changed since the commit (what is not yet added does not count).
    let dirty = commit.is_some()
        && git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    println!(
        "cargo:rustc-env=DESK_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    println!(
        "cargo:rustc-env=DESK_DIRTY={}",
        if dirty { "dirty" } else { "" }
    );

    if std::env::var_os("CARGO_FEATURE_EMBED_H5").is_some() {
        // rust-embed lists the files when it expands: a new build of the H5 (new
        // hashed names) must expand it again.
        println!("cargo:rerun-if-changed=../dist");
        assert!(
            Path::new("../dist/index.html").is_file(),
            "the `embed-h5` feature embeds dist/, which is not built: run `bash scripts/build-h5.sh` first"
        );
    }
}
