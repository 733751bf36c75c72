//! The only place that calls the server.

use desk_shared::{ApiError, Session, SignatureRequest, Signatures};
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// A failed server call, as a sentence a member can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
}

impl Failure {
    fn network() -> Self {
        Self {
            message: "连不上服务器，请检查网络后重试。".into(),
        }
    }
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    let resp = Request::get(path)
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}

/// The JSON of a successful answer, or the server's `{code, message}` as a `Failure`.
async fn read<T: DeserializeOwned>(resp: gloo_net::http::Response) -> Result<T, Failure> {
    if resp.ok() {
        return resp.json().await.map_err(|_| Failure {
            message: "服务器返回了无法识别的内容，请刷新重试。".into(),
        });
    }
    let status = resp.status();
    match resp.json::<ApiError>().await {
        Ok(e) => Err(Failure { message: e.message }),
        Err(_) => Err(Failure {
            message: format!("服务器出错（{status}），请稍后重试。"),
        }),
    }
}

/// `GET /api/session`.
pub async fn session() -> Result<Session, Failure> {
    get_json("/api/session").await
}

/// `POST /api/jssdk/signatures`: both JS-SDK signatures for one page URL.
pub async fn signatures(url: &str) -> Result<Signatures, Failure> {
    let body = SignatureRequest {
        url: url.to_string(),
    };
    let resp = Request::post("/api/jssdk/signatures")
        .json(&body)
        .map_err(|_| Failure::network())?
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}
