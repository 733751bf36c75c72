//! The few server-rendered HTML pages (login failures): their text escaped.

pub use desk_shared::escape_html as escape;
