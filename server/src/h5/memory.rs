//! The H5's files held in memory (the build put into the binary, or a test's), served
//! as `actix_files::Files` serves a directory, so a page cannot tell the two apart:
//! the same path parser (nothing hidden, nothing outside), Content-Type (UTF-8 for
//! text), Content-Disposition, a strong ETag (of the bytes, not of an inode) with
//! `If-None-Match` / `If-Match`, single byte ranges, 405 for other methods than GET
//! and HEAD, 404 for a directory, and the app's page for any other path. A hashed
//! asset with `.br` / `.gz` copies is sent as the copy the client accepts, with
//! `Vary: Accept-Encoding` (`super::precompressed`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use actix_files::{HttpRange, PathBufWrap};
use actix_web::body;
use actix_web::http::header::{
    self, Charset, ContentDisposition, ContentEncoding, DispositionParam, DispositionType,
    EntityTag, ExtendedValue, IfMatch, IfNoneMatch,
};
use actix_web::http::{Method, StatusCode};
use actix_web::mime;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use super::shell::{self, Shells};
use super::{is_hashed, precompressed};

/// The files by their path under the H5's root (`sidebar/index.html`).
pub struct MemoryFiles {
    origin: &'static str,
    files: HashMap<String, MemoryFile>,
    /// Every folder a file is in (`sidebar`), as `Files` sees directories.
    dirs: HashSet<String>,
}

struct MemoryFile {
    bytes: Bytes,
    etag: EntityTag,
}

impl MemoryFiles {
    /// `origin` says where the files came from, in the log.
    pub fn new<N: Into<String>, B: Into<Bytes>>(
        origin: &'static str,
        files: impl IntoIterator<Item = (N, B)>,
    ) -> Self {
        let mut dirs = HashSet::new();
        let files = files
            .into_iter()
            .map(|(name, bytes)| {
                let (name, bytes): (String, Bytes) = (name.into(), bytes.into());
                let mut at = name.as_str();
                while let Some((parent, _)) = at.rsplit_once('/') {
                    dirs.insert(parent.to_string());
                    at = parent;
                }
                let etag = EntityTag::new_strong(hex::encode(&Sha256::digest(&bytes)[..12]));
                (name, MemoryFile { bytes, etag })
            })
            .collect();
        Self {
            origin,
            files,
            dirs,
        }
    }

    pub fn origin(&self) -> &'static str {
        self.origin
    }

    /// How many files (copies included).
    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// Their bytes in all.
    pub fn size(&self) -> usize {
        self.files.values().map(|f| f.bytes.len()).sum()
    }

    pub(super) fn text(&self, name: &str) -> Option<String> {
        String::from_utf8(self.files.get(name)?.bytes.to_vec()).ok()
    }
}

/// The scope's default service when the H5 is in memory: a file, or the app's page.
pub(super) async fn serve(
    req: HttpRequest,
    files: web::Data<MemoryFiles>,
    shells: web::Data<Shells>,
) -> HttpResponse {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return HttpResponse::MethodNotAllowed()
            .content_type(mime::TEXT_PLAIN_UTF_8)
            .body("Request did not meet this resource's requirements.");
    }
    let path = match PathBufWrap::parse_path(req.match_info().unprocessed(), false) {
        Ok(path) => path,
        Err(refused) => return refused.error_response(),
    };
    let segments: Option<Vec<&str>> = AsRef::<Path>::as_ref(&path)
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    let name = segments.unwrap_or_default().join("/");
    let Some(file) = files.files.get(&name) else {
        if name.is_empty() || files.dirs.contains(&name) {
            return HttpResponse::NotFound()
                .content_type(mime::TEXT_PLAIN_UTF_8)
                .body("unable to render directory without index file");
        }
        return shell::serve_app(shells, req).await;
    };
    let copy = |extension: &str| files.files.get(&format!("{name}.{extension}"));
    let (brotli, gzip) = (copy("br"), copy("gz"));
    let has_copies = is_hashed(req.path()) && (brotli.is_some() || gzip.is_some());
    if !has_copies {
        return respond(&req, &name, file, None);
    }
    let mut res = match precompressed::negotiate(&req, brotli.is_some(), gzip.is_some()) {
        Some(ContentEncoding::Brotli) => brotli.map(|f| (f, ContentEncoding::Brotli)),
        Some(ContentEncoding::Gzip) => gzip.map(|f| (f, ContentEncoding::Gzip)),
        _ => None,
    }
    .map_or_else(
        || respond(&req, &name, file, None),
        |(copy, encoding)| respond(&req, &name, copy, Some(encoding)),
    );
    precompressed::vary(res.headers_mut());
    res
}

/// `file` as `NamedFile` answers (with its flags as `Files` sets them), named `name`
/// for its type, with `encoding` when it is a compressed copy.
fn respond(
    req: &HttpRequest,
    name: &str,
    file: &MemoryFile,
    encoding: Option<ContentEncoding>,
) -> HttpResponse {
    let content_type = content_type(name);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type.to_string()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            disposition(name, &content_type),
        ))
        .insert_header((header::ETAG, file.etag.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    if let Some(encoding) = encoding {
        res.insert_header((header::CONTENT_ENCODING, encoding.as_str()));
    }
    let size = file.bytes.len() as u64;
    let mut body = file.bytes.clone();
    if let Some(range) = req.headers().get(header::RANGE) {
        let Ok(range) = range.to_str() else {
            return res.status(StatusCode::BAD_REQUEST).finish();
        };
        let Some(range) = HttpRange::parse(range, size)
            .ok()
            .and_then(|ranges| ranges.first().copied())
        else {
            res.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            return res.status(StatusCode::RANGE_NOT_SATISFIABLE).finish();
        };
        // A part is never compressed on the way (`Compress` leaves it alone).
        if req.headers().contains_key(header::ACCEPT_ENCODING) {
            res.insert_header((header::CONTENT_ENCODING, "identity"));
        }
        let end = range.start + range.length;
        res.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", range.start, end - 1),
        ));
        // Within `size`, which is a `usize`: HttpRange::parse clamps to it.
        body = body.slice(range.start as usize..end as usize);
    }
    if !any_match(&file.etag, req) {
        return res.status(StatusCode::PRECONDITION_FAILED).finish();
    }
    if !none_match(&file.etag, req) {
        return res
            .status(StatusCode::NOT_MODIFIED)
            .body(body::None::new())
            .map_into_boxed_body();
    }
    if body.len() as u64 != size {
        res.status(StatusCode::PARTIAL_CONTENT);
    }
    res.body(body)
}

/// By the name's extension; text as UTF-8.
fn content_type(name: &str) -> mime::Mime {
    let extension = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let guessed = actix_files::file_extension_to_mime(extension);
    [
        (
            mime::APPLICATION_JAVASCRIPT,
            mime::APPLICATION_JAVASCRIPT_UTF_8,
        ),
        (mime::TEXT_HTML, mime::TEXT_HTML_UTF_8),
        (mime::TEXT_CSS, mime::TEXT_CSS_UTF_8),
        (mime::TEXT_PLAIN, mime::TEXT_PLAIN_UTF_8),
        (mime::TEXT_CSV, mime::TEXT_CSV_UTF_8),
        (
            mime::TEXT_TAB_SEPARATED_VALUES,
            mime::TEXT_TAB_SEPARATED_VALUES_UTF_8,
        ),
    ]
    .into_iter()
    .find_map(|(plain, utf8)| (guessed == plain).then_some(utf8))
    .unwrap_or(guessed)
}

/// `inline` for what a browser shows or runs, else `attachment`; the file's own name.
fn disposition(name: &str, content_type: &mime::Mime) -> String {
    let inline = match content_type.type_() {
        mime::IMAGE | mime::TEXT | mime::AUDIO | mime::VIDEO => true,
        mime::APPLICATION => matches!(
            content_type.subtype().as_str(),
            "javascript" | "json" | "wasm" | "xhtml"
        ),
        _ => false,
    };
    let file_name = name.rsplit('/').next().unwrap_or(name);
    let mut parameters = vec![DispositionParam::Filename(file_name.to_string())];
    if !file_name.is_ascii() {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: file_name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: match inline {
            true => DispositionType::Inline,
            false => DispositionType::Attachment,
        },
        parameters,
    }
    .to_string()
}

/// No `If-Match`, or one that names this file.
fn any_match(etag: &EntityTag, req: &HttpRequest) -> bool {
    match req.get_header::<IfMatch>() {
        None | Some(IfMatch::Any) => true,
        Some(IfMatch::Items(items)) => items.iter().any(|item| item.strong_eq(etag)),
    }
}

/// No `If-None-Match` that names this file.
fn none_match(etag: &EntityTag, req: &HttpRequest) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => false,
        Some(IfNoneMatch::Items(items)) => !items.iter().any(|item| item.weak_eq(etag)),
        None => true,
    }
}
