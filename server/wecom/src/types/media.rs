//! Temporary media (素材管理, 上传临时素材 D-96484): what `media/upload` takes and
//! answers, and how an image is told apart (PNG or JPEG, by its first bytes), for the
//! client that uploads and the simulator that checks uploads.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WeComError;

/// Every uploaded file must be longer than this (D-96484: 所有文件size必须大于5个字节).
pub const MEDIA_MIN_EXCLUSIVE: usize = 5;
/// How long WeCom keeps a temporary media id (D-96484: 三天内有效).
pub const MEDIA_LIFETIME_SECS: i64 = 3 * 24 * 3600;
/// The largest image WeCom takes (D-96484: 图片 10MB): also the cap on downloading one.
pub const IMAGE_MAX_BYTES: usize = 10 * 1024 * 1024;

/// `media/upload?type=` (D-96484).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// ≤ 10 MB, JPG or PNG.
    Image,
    /// ≤ 2 MB, AMR.
    Voice,
    /// ≤ 10 MB, MP4.
    Video,
    /// ≤ 20 MB, any kind.
    File,
}

impl MediaType {
    /// The type a `type` parameter names; `None` for anything but the four.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "image" => Self::Image,
            "voice" => Self::Voice,
            "video" => Self::Video,
            "file" => Self::File,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::Video => "video",
            Self::File => "file",
        }
    }

    /// The largest file of this type WeCom takes.
    pub fn max_bytes(self) -> usize {
        const MB: usize = 1024 * 1024;
        match self {
            Self::Image | Self::Video => 10 * MB,
            Self::Voice => 2 * MB,
            Self::File => 20 * MB,
        }
    }

    /// Whether a file called `filename` may be uploaded as this type (WeCom answers
    /// 40005 when the extension does not fit).
    pub fn fits_filename(self, filename: &str) -> bool {
        let ext = filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match self {
            Self::Image => matches!(ext.as_str(), "jpg" | "jpeg" | "png"),
            Self::Voice => ext == "amr",
            Self::Video => ext == "mp4",
            Self::File => true,
        }
    }
}

/// The image formats WeCom takes as `type=image`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

impl ImageFormat {
    /// The format `bytes` are in, by their signature; `None` for anything else (an SVG,
    /// an HTML error page, a GIF).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }
}

/// A PNG or JPEG image of at most [`IMAGE_MAX_BYTES`], ready to upload.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    bytes: Vec<u8>,
    format: ImageFormat,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Image {
    /// `bytes` as an image WeCom takes, or why not.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, ImageFetchError> {
        if bytes.len() > IMAGE_MAX_BYTES {
            return Err(ImageFetchError::TooLarge {
                limit: IMAGE_MAX_BYTES,
            });
        }
        match ImageFormat::sniff(&bytes) {
            Some(format) if bytes.len() > MEDIA_MIN_EXCLUSIVE => Ok(Self { bytes, format }),
            _ => Err(ImageFetchError::NotAnImage),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn format(&self) -> ImageFormat {
        self.format
    }
}

/// Why an image WeCom links to (a join way's `qr_code`) could not be taken.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImageFetchError {
    #[error("the image is over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not a PNG or JPEG image")]
    NotAnImage,
    /// Not an http(s) URL.
    #[error("not an http(s) URL")]
    BadUrl,
    /// No answer, an HTTP status other than 200, or the request's deadline.
    #[error(transparent)]
    Fetch(#[from] WeComError),
}

/// `media/upload`'s answer (D-96484). `created_at` is a string in the documented
/// sample (`"1380000000"`) and a number in some answers: either is read; the
/// simulator writes the documented string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaUploaded {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_id: String,
    /// Unix seconds WeCom took the file; the media id dies 3 days later.
    #[serde(
        serialize_with = "secs_as_string",
        deserialize_with = "secs_from_string_or_number"
    )]
    pub created_at: i64,
}

impl MediaUploaded {
    /// When WeCom forgets the media id (unix seconds).
    pub fn expires_at(&self) -> i64 {
        self.created_at + MEDIA_LIFETIME_SECS
    }
}

fn secs_as_string<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(secs)
}

fn secs_from_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Secs {
        Number(i64),
        Text(String),
    }
    match Secs::deserialize(d)? {
        Secs::Number(n) => Ok(n),
        Secs::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("created_at {t:?} is not unix seconds"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_at_is_read_as_the_documented_string_or_as_a_number_and_written_as_a_string() {
        let documented = r#"{"errcode":0,"errmsg":"","type":"image","media_id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0","created_at":"1380000000"}"#;
        let m: MediaUploaded = serde_json::from_str(documented).expect("documented");
        assert_eq!(m.created_at, 1_380_000_000);
        assert_eq!(m.expires_at(), 1_380_000_000 + 3 * 86_400);
        let n: MediaUploaded =
            serde_json::from_str(r#"{"type":"image","media_id":"m","created_at":1380000000}"#)
                .expect("a number");
        assert_eq!(n.created_at, 1_380_000_000);
        assert!(serde_json::from_str::<MediaUploaded>(
            r#"{"type":"image","media_id":"m","created_at":"soon"}"#
        )
        .is_err());
        let written = serde_json::to_value(&m).expect("json");
        assert_eq!(written["created_at"], "1380000000");
    }

    #[test]
    fn only_png_and_jpeg_of_more_than_five_bytes_and_at_most_ten_megabytes_are_images() {
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        assert_eq!(
            Image::from_bytes(png).expect("png").format(),
            ImageFormat::Png
        );
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10].to_vec();
        assert_eq!(
            Image::from_bytes(jpeg).expect("jpeg").format(),
            ImageFormat::Jpeg
        );
        for not in [b"<svg xmlns='x'/>".to_vec(), b"GIF89a....".to_vec(), vec![]] {
            assert!(matches!(
                Image::from_bytes(not),
                Err(ImageFetchError::NotAnImage)
            ));
        }
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(IMAGE_MAX_BYTES + 1, 0);
        assert!(matches!(
            Image::from_bytes(big),
            Err(ImageFetchError::TooLarge { .. })
        ));
    }

    #[test]
    fn each_type_has_its_limit_and_its_extensions() {
        assert_eq!(MediaType::parse("image"), Some(MediaType::Image));
        assert_eq!(MediaType::parse("IMAGE"), None);
        assert_eq!(MediaType::Voice.max_bytes(), 2 * 1024 * 1024);
        assert_eq!(MediaType::File.max_bytes(), 20 * 1024 * 1024);
        assert!(MediaType::Image.fits_filename("qr.PNG"));
        assert!(MediaType::Image.fits_filename("a.b.jpeg"));
        assert!(!MediaType::Image.fits_filename("qr.svg"));
        assert!(!MediaType::Image.fits_filename("png"));
        assert!(MediaType::Voice.fits_filename("hi.amr"));
        assert!(MediaType::Video.fits_filename("v.mp4"));
        assert!(MediaType::File.fits_filename("anything"));
    }
}
