//! One request to WeCom on the wire: sent, read (`errcode` checked), counted and timed
//! for the metrics, cut off at the request's deadline; and how transient failures
//! are retried. The client (`client.rs`) builds the calls on top.

use std::time::Duration;

use rand::Rng;
use serde::de::DeserializeOwned;

use super::types::Status;
use super::WeComError;

/// How often and how patiently transient failures (-1, 45033, 5xx, no answer) are retried; 45009 never is.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Extra tries after the first.
    pub retries: u32,
    /// First pause; doubled each time, plus up to half of it again as jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    pub(super) fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let jitter_ms = rand::thread_rng().gen_range(0..=(self.base_delay.as_millis() as u64 / 2));
        exp + Duration::from_millis(jitter_ms)
    }
}

/// What a call sends: JSON, or one file as `multipart/form-data` (`media/upload`).
pub(super) enum Body {
    Json(Vec<u8>),
    File(FilePart),
}

/// A file sent as the form part `name`, with its file name and content type.
pub(super) struct FilePart {
    pub name: &'static str,
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl FilePart {
    /// The form, made anew for each try (a sent form is consumed).
    pub(super) fn form(&self) -> Result<reqwest::multipart::Form, WeComError> {
        let part = reqwest::multipart::Part::bytes(self.bytes.clone())
            .file_name(self.filename.clone())
            .mime_str(self.content_type)
            .map_err(|e| WeComError::Decode(e.without_url().to_string()))?;
        Ok(reqwest::multipart::Form::new().part(self.name, part))
    }
}

/// `call` cut off at the current request's deadline, if there is one.
pub(super) fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, WeComError>>,
) -> impl std::future::Future<Output = Result<T, WeComError>> {
    use futures::FutureExt;
    crate::deadline::within_deadline(call).map(|answer| {
        answer.unwrap_or_else(|_| {
            tracing::warn!("WeCom call cut off at the request's deadline");
            Err(WeComError::Timeout)
        })
    })
}

/// Where every request to WeCom goes out: sent, read, and counted and timed under
/// `endpoint` (its API path: the query carries the token or the secret).
pub(super) async fn exchange<T: DeserializeOwned>(
    endpoint: &str,
    req: reqwest::RequestBuilder,
) -> Result<T, WeComError> {
    let call = crate::metrics::WeComCall::start(endpoint);
    let (result, timed_out) = match req.send().await {
        Ok(resp) => (read_answer(resp).await, false),
        Err(e) => {
            let timed_out = e.is_timeout();
            (Err(transport_error(e)), timed_out)
        }
    };
    call.finish(errcode_label(&result, timed_out));
    result
}

/// The `errcode` label of a request's outcome: `0`, WeCom's errcode, or what else
/// went wrong (`transport`, `timeout`, `http_502`, `decode`).
fn errcode_label<T>(result: &Result<T, WeComError>, timed_out: bool) -> String {
    match result {
        Ok(_) => "0".into(),
        Err(WeComError::Api { errcode, .. }) => errcode.to_string(),
        Err(WeComError::Transport(_)) if timed_out => "timeout".into(),
        Err(WeComError::Transport(_)) => "transport".into(),
        Err(WeComError::Status(status)) => format!("http_{status}"),
        Err(WeComError::Decode(_)) => "decode".into(),
        Err(WeComError::Timeout) => "timeout".into(),
    }
}

fn transport_error(e: reqwest::Error) -> WeComError {
    // reqwest's Display includes the URL, and ours carry credentials: strip it.
    WeComError::Transport(e.without_url().to_string())
}

async fn read_answer<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, WeComError> {
    let status = resp.status();
    if !status.is_success() {
        return Err(WeComError::Status(status.as_u16()));
    }
    let bytes = resp.bytes().await.map_err(transport_error)?;
    let head: Status =
        serde_json::from_slice(&bytes).map_err(|e| WeComError::Decode(e.to_string()))?;
    if head.errcode != 0 {
        return Err(WeComError::Api {
            errcode: head.errcode,
            errmsg: head.errmsg,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| WeComError::Decode(e.to_string()))
}
