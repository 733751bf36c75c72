//! `GET, POST /wecom/callback`: WeCom's URL check and its encrypted events/messages.
//! Every request is verified (`msg_signature`) before anything is decrypted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::startup::AppState;
use crate::wecom::crypto::{CallbackCrypto, CryptoError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wecom/callback")
            .app_data(web::PayloadConfig::new(1 << 20))
            .route(web::get().to(url_check))
            .route(web::post().to(receive)),
    );
}

#[derive(Debug, Deserialize)]
struct UrlCheck {
    msg_signature: String,
    timestamp: String,
    nonce: String,
    echostr: String,
}

#[derive(Debug, Deserialize)]
struct Signed {
    msg_signature: String,
    timestamp: String,
    nonce: String,
}

/// The encrypted envelope WeCom posts.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "ToUserName", default)]
    to_user_name: String,
    #[serde(rename = "Encrypt")]
    encrypt: String,
    #[serde(rename = "AgentID", default)]
    agent_id: String,
}

/// The fields of a decrypted message or event this endpoint looks at.
#[derive(Debug, Deserialize)]
struct Plain {
    #[serde(rename = "MsgType", default)]
    msg_type: String,
    #[serde(rename = "Event", default)]
    event: String,
    #[serde(rename = "ChangeType", default)]
    change_type: String,
}

fn crypto(state: &AppState) -> Result<&CallbackCrypto, ApiError> {
    state.callback.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "callback_not_configured",
            "未配置回调（callback.token / callback.encoding_aes_key）。/ Callback is not configured.",
        )
    })
}

fn rejected(err: CryptoError) -> ApiError {
    tracing::warn!(error = %err, "callback rejected");
    match err {
        CryptoError::BadSignature => ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_signature",
            "回调签名不正确。/ msg_signature does not match.",
        ),
        other => ApiError::bad_request(
            "bad_callback",
            format!("回调内容无法解密：{other}。/ The callback could not be decrypted: {other}."),
        ),
    }
}

/// WeCom's URL check: answer the decrypted `echostr` as the bare body.
async fn url_check(
    state: web::Data<AppState>,
    query: web::Query<UrlCheck>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let plain = crypto(&state)?
        .open(&q.msg_signature, &q.timestamp, &q.nonce, &q.echostr)
        .map_err(rejected)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(plain))
}

/// An encrypted event or message. Answers an empty 200 ("no reply") quickly.
async fn receive(
    state: web::Data<AppState>,
    query: web::Query<Signed>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let crypto = crypto(&state)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::bad_request("bad_callback", "回调内容不是 UTF-8。/ Body is not UTF-8.")
    })?;
    let envelope: Envelope = quick_xml::de::from_str(text).map_err(|e| {
        ApiError::bad_request(
            "bad_callback",
            format!("回调 XML 无法解析：{e}。/ Callback XML could not be parsed: {e}."),
        )
    })?;
    let q = query.into_inner();
    let plain = crypto
        .open(&q.msg_signature, &q.timestamp, &q.nonce, &envelope.encrypt)
        .map_err(rejected)?;
    match quick_xml::de::from_str::<Plain>(&plain) {
        Ok(p) => tracing::info!(
            to = %envelope.to_user_name,
            agent = %envelope.agent_id,
            msg_type = %p.msg_type,
            event = %p.event,
            change_type = %p.change_type,
            "callback received"
        ),
        Err(e) => tracing::warn!(error = %e, "callback plaintext is not the expected XML"),
    }
    Ok(HttpResponse::Ok().finish())
}
