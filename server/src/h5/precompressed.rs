//! The precompressed copies of the hashed assets that `scripts/build-h5.sh` writes
//! beside them (`<file>.br`, brotli 11, and `<file>.gz`, gzip -9): a client that
//! accepts one is sent it as it is, with the original file's Content-Type and
//! `Content-Encoding` set, so the `Compress` middleware leaves it alone (actix skips
//! any response that already has a Content-Encoding). Every answer for such a file
//! says `Vary: Accept-Encoding`. From a directory, the path is resolved exactly as
//! `actix_files::Files` resolves it (same parser, same directory), so nothing outside
//! the directory is reachable here either; from memory, `super::memory` chooses the
//! same way (`negotiate`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use actix_files::{NamedFile, PathBufWrap};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

/// The directory the H5 is served from.
pub(super) struct StaticDir(pub(super) PathBuf);

/// The asset a request names, when it has a precompressed copy.
struct Asset {
    file: PathBuf,
    brotli: bool,
    gzip: bool,
}

impl Asset {
    /// Only hashed assets (the build compresses nothing else: the HTML is the
    /// server's own), asked for with GET or HEAD, as `Files` would find them.
    fn find(dir: &Path, req: &ServiceRequest) -> Option<Self> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) || !super::is_hashed(req.path()) {
            return None;
        }
        let path = PathBufWrap::parse_path(req.match_info().unprocessed(), false).ok()?;
        let file = dir.join(path);
        let brotli = sibling(&file, "br").is_file();
        let gzip = sibling(&file, "gz").is_file();
        ((brotli || gzip) && file.is_file()).then_some(Self { file, brotli, gzip })
    }

    /// The copy the client prefers, if it accepts one (`negotiate`).
    fn choose(&self, req: &ServiceRequest) -> Option<(PathBuf, ContentEncoding)> {
        let encoding = negotiate(req, self.brotli, self.gzip)?;
        let extension = match encoding {
            ContentEncoding::Brotli => "br",
            _ => "gz",
        };
        Some((sibling(&self.file, extension), encoding))
    }
}

/// Which of an asset's copies (`brotli`, `gzip`: those it has) the client prefers,
/// brotli over gzip when it takes both alike; `None` for the file itself. Never a copy
/// for a range request: those get the file itself.
pub(super) fn negotiate(
    req: &impl HttpMessage,
    brotli: bool,
    gzip: bool,
) -> Option<ContentEncoding> {
    if req.headers().contains_key(header::RANGE) {
        return None;
    }
    let accept = req.get_header::<AcceptEncoding>()?;
    let supported = [
        brotli.then(Encoding::brotli),
        gzip.then(Encoding::gzip),
        Some(Encoding::identity()),
    ];
    match accept.negotiate(supported.iter().flatten())? {
        Encoding::Known(encoding @ (ContentEncoding::Brotli | ContentEncoding::Gzip)) => {
            Some(encoding)
        }
        _ => None,
    }
}

/// `app.wasm` → `app.wasm.br`.
fn sibling(file: &Path, extension: &str) -> PathBuf {
    let mut name = OsString::from(file.as_os_str());
    name.push(".");
    name.push(extension);
    name.into()
}

/// Middleware in front of the H5's files: answers a request for an asset with a
/// precompressed copy the client accepts; everything else goes on as before.
pub(super) async fn serve<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let asset = req
        .app_data::<web::Data<StaticDir>>()
        .and_then(|dir| Asset::find(&dir.0, &req));
    let Some(asset) = asset else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if let Some((copy, encoding)) = asset.choose(&req) {
        // The original's Content-Type and Content-Disposition (its own name), the
        // copy's bytes, ETag and Last-Modified.
        if let (Ok(original), Ok(copy)) = (
            NamedFile::open_async(&asset.file).await,
            NamedFile::open_async(&copy).await,
        ) {
            let named = copy
                .set_content_type(original.content_type().clone())
                .set_content_disposition(original.content_disposition().clone())
                .set_content_encoding(encoding);
            let (http, _) = req.into_parts();
            let mut res = named.into_response(&http);
            vary(res.headers_mut());
            return Ok(ServiceResponse::new(http, res).map_into_right_body());
        }
    }
    let mut res = next.call(req).await?;
    vary(res.headers_mut());
    Ok(res.map_into_left_body())
}

/// Every answer for an asset with copies: a cache keeps one per Accept-Encoding.
pub(super) fn vary(headers: &mut header::HeaderMap) {
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}
