//! `media/upload` (上传临时素材, D-96484): `POST media/upload?access_token=&type=TYPE`,
//! `multipart/form-data` with the file in the part named `media` (with `filename`;
//! `filelength` and the part's content type as a client sends them). Checked as the
//! page says: `type` image | voice | video | file, else 40005; no `media` file part
//! 41005; an empty file 44001; every file more than 5 bytes, else 40006; image ≤ 10 MB
//! (40009), voice ≤ 2 MB, video ≤ 10 MB, file ≤ 20 MB (40006); a file name whose
//! extension does not fit the type 40005; an image that is not really a JPG or PNG
//! 40004. Answers `{type, media_id, created_at}` with `created_at` a string, as the
//! page's sample; the media id is valid for 3 days, for every app of the corp.

use desk_wecom::types::{ImageFormat, MediaType, MediaUploaded, MEDIA_MIN_EXCLUSIVE};

use super::{fail, to_value, Answer, Call};
use crate::media::StoredMedia;
use crate::state::{random_id, World};

/// The largest request body `media/upload` reads: the largest file (20 MB) and the
/// form around it. Larger bodies are refused with HTTP 413.
pub(super) const UPLOAD_BODY_LIMIT: usize = 20 * 1024 * 1024 + 64 * 1024;

/// `media/upload`.
pub(super) fn upload(w: &mut World, agent: i64, call: &Call) -> Answer {
    let Some(kind) = call.param("type").and_then(MediaType::parse) else {
        return fail(
            40005,
            "invalid file type: type must be image, voice, video or file",
        );
    };
    let parts = form_parts(call.content_type, call.body).unwrap_or_default();
    let Some(file) = parts
        .into_iter()
        .find(|p| p.name == "media" && p.filename.is_some())
    else {
        return fail(41005, "media data missing: no file part named media");
    };
    let filename = file.filename.unwrap_or_default();
    let size = file.data.len();
    if size == 0 {
        return fail(44001, "empty media data");
    }
    if size <= MEDIA_MIN_EXCLUSIVE {
        return fail(
            40006,
            "invalid file size: every file must be more than 5 bytes",
        );
    }
    if size > kind.max_bytes() {
        return match kind {
            MediaType::Image => fail(40009, "invalid image size: at most 10 MB"),
            _ => fail(
                40006,
                format!(
                    "invalid file size: {} at most {} bytes",
                    kind.as_str(),
                    kind.max_bytes()
                ),
            ),
        };
    }
    if !kind.fits_filename(&filename) {
        return fail(
            40005,
            format!(
                "invalid file type: {filename:?} is not a {} file",
                kind.as_str()
            ),
        );
    }
    let sniffed = ImageFormat::sniff(file.data);
    if kind == MediaType::Image && sniffed.is_none() {
        return fail(40004, "invalid media type: an image must be a JPG or PNG");
    }
    let content_type = match (sniffed, file.content_type) {
        (Some(format), _) => format.content_type().to_string(),
        (None, Some(given)) if !given.is_empty() => given,
        _ => "application/octet-stream".to_string(),
    };
    let now = w.clock.now_secs();
    let media_id = random_id("3sim", 60);
    w.media.add(
        StoredMedia {
            media_id: media_id.clone(),
            kind,
            filename,
            content_type,
            bytes: actix_web::web::Bytes::copy_from_slice(file.data),
            created_at: now,
            agent_id: agent,
        },
        now,
    );
    to_value(MediaUploaded {
        kind: kind.as_str().to_string(),
        media_id,
        created_at: now,
    })
}

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: &'a [u8],
}

/// The parts of a `multipart/form-data` body (RFC 7578); `None` when the body is not
/// one.
fn form_parts<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    // RFC 2046: 1 to 70 characters (a longer one would only make the search slower).
    let boundary = param(params, "boundary").filter(|b| (1..=70).contains(&b.len()))?;
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n--{boundary}");
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    let mut parts = Vec::new();
    // Each part: CRLF, headers, a blank line, the data, then CRLF--boundary; the last
    // delimiter ends with `--`.
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after = &rest[head_end + 4..];
        let end = find(after, next.as_bytes())?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: &after[..end],
        };
        for line in head.split("\r\n") {
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            if field.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = param(value, "name").unwrap_or_default();
                part.filename = param(value, "filename");
            } else if field.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        parts.push(part);
        rest = &after[end + next.len()..];
    }
    Some(parts)
}

/// The value of `name=value` (quoted or not) among `;`-separated parameters.
fn param(params: &str, name: &str) -> Option<String> {
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_read_part_by_part_with_its_names_file_names_and_types() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"media\";filename=\"qr.png\"; filelength=6\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\r\n--XyZ--\r\n";
        let parts = form_parts("multipart/form-data; boundary=\"XyZ\"", body).expect("a form");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "note");
        assert_eq!(parts[0].filename, None);
        assert_eq!(parts[0].data, b"hello");
        assert_eq!(parts[1].name, "media");
        assert_eq!(parts[1].filename.as_deref(), Some("qr.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n");
        assert!(form_parts("application/json", body).is_none());
        assert!(form_parts("multipart/form-data; boundary=XyZ", b"--XyZ\r\nbroken").is_none());
    }
}
