//! Where the H5's files come from: a directory on disk (`server.static_dir`), or
//! memory (the build put into the binary by the `embed-h5` feature, or a test's files).
//! Both are served by the same routes with the same headers (`super::configure`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::memory::MemoryFiles;

/// The built H5 the server serves.
#[derive(Clone)]
pub enum H5Source {
    /// A `dist/` on disk (`server.static_dir`): a development build, read as it is.
    Dir(PathBuf),
    /// Files held in memory.
    Memory(Arc<MemoryFiles>),
}

impl H5Source {
    /// `server.static_dir` when it is set (and not empty); else the H5 built into this
    /// binary; else, in a binary built without one, `dist` in the working directory.
    pub fn for_static_dir(static_dir: Option<&str>) -> Self {
        match static_dir.filter(|dir| !dir.is_empty()) {
            Some(dir) => {
                // A config from an older example (`static_dir = "dist"`) would serve an
                // old directory instead of this release's own H5: said at start.
                if Self::built_in().is_some() {
                    tracing::warn!(
                        static_dir = dir,
                        "server.static_dir is set: serving that directory, not the H5 built \
                         into this binary (remove static_dir unless this is a development build)"
                    );
                }
                Self::Dir(dir.into())
            }
            None => Self::built_in().unwrap_or_else(|| Self::Dir("dist".into())),
        }
    }

    /// The H5 put into this binary when it was built (`--features embed-h5`).
    #[cfg(feature = "embed-h5")]
    pub fn built_in() -> Option<Self> {
        Some(Self::Memory(Arc::new(built_in::files())))
    }

    /// The H5 put into this binary: none, it was built without `embed-h5`.
    #[cfg(not(feature = "embed-h5"))]
    pub fn built_in() -> Option<Self> {
        None
    }

    /// Files given by their path under the H5's root (`sidebar/index.html`).
    pub fn memory<N: Into<String>, B: Into<actix_web::web::Bytes>>(
        files: impl IntoIterator<Item = (N, B)>,
    ) -> Self {
        Self::Memory(Arc::new(MemoryFiles::new("memory", files)))
    }

    /// A text file of the H5 (`index.html`, `sidebar/index.html`), if it has one.
    pub(super) fn text(&self, name: &str) -> Option<String> {
        match self {
            Self::Dir(dir) => std::fs::read_to_string(dir.join(name)).ok(),
            Self::Memory(files) => files.text(name),
        }
    }

    /// Whether the app's page is there: an H5 that was built.
    pub fn is_built(&self) -> bool {
        match self {
            Self::Dir(dir) => dir.join("index.html").is_file(),
            Self::Memory(files) => files.text("index.html").is_some(),
        }
    }

    /// Where a page says the missing `index.html` should have been.
    pub(super) fn root(&self) -> String {
        match self {
            Self::Dir(dir) => dir.display().to_string(),
            Self::Memory(files) => format!("({})", files.origin()),
        }
    }
}

/// For the start-up log and `doctor`: `directory dist` or `built into the binary
/// (88 files, 4512 KiB)`.
impl fmt::Display for H5Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "directory {}", dir.display()),
            Self::Memory(files) => write!(
                f,
                "{} ({} files, {} KiB)",
                files.origin(),
                files.count(),
                files.size().div_ceil(1024)
            ),
        }
    }
}

#[cfg(feature = "embed-h5")]
mod built_in {
    use std::borrow::Cow;

    use actix_web::web::Bytes;

    use super::MemoryFiles;

    /// The workspace's `dist/` as `scripts/build-h5.sh` left it when the server was
    /// built (`build.rs` refuses to build without one): every build, every hashed
    /// asset with its `.br` and `.gz` copies.
    #[derive(rust_embed::RustEmbed)]
    #[folder = "../dist/"]
    struct Dist;

    pub(super) fn files() -> MemoryFiles {
        let files = Dist::iter().filter_map(|name| {
            let bytes = match Dist::get(&name)?.data {
                Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            };
            Some((name.into_owned(), bytes))
        });
        MemoryFiles::new("built into the binary", files)
    }
}
