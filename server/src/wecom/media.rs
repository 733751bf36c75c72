//! Temporary media (上传临时素材, D-96484): an image uploaded for the JS-SDK's
//! `sendChatMessage` (D-98539 / D-96935 take a media id from it), and the bounded
//! download of an image WeCom links to (a join way's `qr_code`, a JPG or PNG on
//! WeCom's host).

use reqwest::Method;

use super::client::WeComClient;
use super::transport::{bounded, Body, FilePart};
use super::types::{Image, ImageFetchError, MediaType, MediaUploaded, IMAGE_MAX_BYTES};
use super::WeComError;

impl WeComClient {
    /// `media/upload?type=image` (D-96484): the image as the form part `media`
    /// (multipart/form-data, with a file name whose extension fits its format, and its
    /// content type) → the media id and when WeCom took it. The id lives 3 days and
    /// serves every app of the corp.
    pub async fn upload_image(
        &self,
        image: &Image,
        name: &str,
    ) -> Result<MediaUploaded, WeComError> {
        let file = FilePart {
            name: "media",
            filename: format!("{name}.{}", image.format().extension()),
            content_type: image.format().content_type(),
            bytes: image.bytes().to_vec(),
        };
        self.with_token(
            Method::POST,
            "media/upload",
            &[("type", MediaType::Image.as_str())],
            Some(Body::File(file)),
        )
        .await
    }

    /// The image at `url` (an http(s) URL WeCom gave), read with the client's
    /// timeouts and within the request's deadline: at most 10 MB (the most
    /// `media/upload` takes as an image, checked as it arrives), and only a PNG or a
    /// JPEG by its first bytes.
    #[tracing::instrument(name = "wecom", skip_all, fields(path = "qr_code"))]
    pub async fn fetch_image(&self, url: &str) -> Result<Image, ImageFetchError> {
        let url = url::Url::parse(url).map_err(|_| ImageFetchError::BadUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ImageFetchError::BadUrl);
        }
        let download = async {
            let mut resp = self.http().get(url).send().await.map_err(transport)?;
            if !resp.status().is_success() {
                return Err(WeComError::Status(resp.status().as_u16()).into());
            }
            let too_large = ImageFetchError::TooLarge {
                limit: IMAGE_MAX_BYTES,
            };
            if resp
                .content_length()
                .is_some_and(|n| n > IMAGE_MAX_BYTES as u64)
            {
                return Err(too_large);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(transport)? {
                if bytes.len() + chunk.len() > IMAGE_MAX_BYTES {
                    return Err(too_large);
                }
                bytes.extend_from_slice(&chunk);
            }
            Image::from_bytes(bytes)
        };
        match bounded(async { Ok(download.await) }).await {
            Ok(fetched) => fetched,
            Err(timeout) => Err(timeout.into()),
        }
    }
}

fn transport(e: reqwest::Error) -> WeComError {
    // The URL may carry a signature: keep it out of logs and answers.
    WeComError::Transport(e.without_url().to_string())
}
