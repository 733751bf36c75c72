//! The only place that calls the server.

use desk_shared::{
    ApiError, Candidates, ErrorCode, Order, OrderGroup, Orders, RecordGroup, Session,
    SignatureRequest, Signatures,
};
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// A failed server call, as a sentence a member can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// The server's error code (`GroupExists`, `NotYourOrder`, …), when it gave one.
    pub code: Option<ErrorCode>,
}

impl Failure {
    /// Whether the server answered with this code.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }

    fn network() -> Self {
        Self {
            message: "连不上服务器，请检查网络后重试。".into(),
            code: None,
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
            code: None,
        });
    }
    let status = resp.status();
    match resp.json::<ApiError>().await {
        Ok(e) => Err(Failure {
            message: e.message,
            code: Some(e.code),
        }),
        Err(_) => Err(Failure {
            message: format!("服务器出错（{status}），请稍后重试。"),
            code: None,
        }),
    }
}

/// `GET /api/session`.
pub async fn session() -> Result<Session, Failure> {
    get_json("/api/session").await
}

async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, Failure> {
    let resp = Request::post(path)
        .json(body)
        .map_err(|_| Failure::network())?
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}

/// `POST /api/jssdk/signatures`: both JS-SDK signatures for one page URL.
pub async fn signatures(url: &str) -> Result<Signatures, Failure> {
    post_json(
        "/api/jssdk/signatures",
        &SignatureRequest {
            url: url.to_string(),
        },
    )
    .await
}

fn order_path(id: &str) -> String {
    format!("/api/orders/{}", js_sys::encode_uri_component(id))
}

/// `GET /api/admin/checks`: the deployment checks, run now (admins only).
pub async fn deployment_checks() -> Result<desk_shared::DeploymentChecks, Failure> {
    get_json("/api/admin/checks").await
}

/// `GET /api/orders`: my orders (as designer or project manager).
pub async fn orders() -> Result<Vec<Order>, Failure> {
    get_json::<Orders>("/api/orders").await.map(|o| o.orders)
}

/// `GET /api/orders/{id}`.
pub async fn order(id: &str) -> Result<Order, Failure> {
    get_json(&order_path(id)).await
}

/// `GET /api/orders/{id}/candidates`, refreshing the designer's customers first when asked.
pub async fn candidates(id: &str, refresh: bool) -> Result<Candidates, Failure> {
    let query = if refresh { "?refresh=true" } else { "" };
    get_json(&format!("{}/candidates{query}", order_path(id))).await
}

/// `POST /api/orders/{id}/group`: records the group `openEnterpriseChat` made.
pub async fn record_group(id: &str, group: &RecordGroup) -> Result<OrderGroup, Failure> {
    post_json(&format!("{}/group", order_path(id)), group).await
}
