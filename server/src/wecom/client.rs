//! The one WeCom client. Handlers call typed methods; tokens, tickets, URLs, retries
//! and errcodes stay in here.

use std::sync::Arc;
use std::time::Duration;

use futures::future::try_join;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::cache::CredentialCache;
pub use super::transport::RetryPolicy;
use super::transport::{bounded, exchange, Body};
use super::types::*;
use super::WeComError;
use crate::config::WeComSettings;

/// Typed access to the WeCom server API for one app (corp id + agent id + secret).
/// Cheap to clone; clones share the token and ticket caches.
#[derive(Clone)]
pub struct WeComClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `{api_base}/cgi-bin/`
    api_root: String,
    corp_id: String,
    agent_id: i64,
    secret: SecretString,
    retry: RetryPolicy,
    token: CredentialCache,
    corp_ticket: CredentialCache,
    agent_ticket: CredentialCache,
}

impl std::fmt::Debug for WeComClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeComClient")
            .field("api_root", &self.inner.api_root)
            .field("corp_id", &self.inner.corp_id)
            .field("agent_id", &self.inner.agent_id)
            .finish_non_exhaustive()
    }
}

/// Which query parameter carries the credential.
enum Auth<'a> {
    Token(&'a str),
    /// `gettoken` itself.
    Secret(&'a str),
}

impl WeComClient {
    pub fn new(settings: &WeComSettings) -> Result<Self, WeComError> {
        Self::with_retry(settings, RetryPolicy::default())
    }

    pub fn with_retry(settings: &WeComSettings, retry: RetryPolicy) -> Result<Self, WeComError> {
        Self::build(settings, retry, crate::clock::Clock::system())
    }

    /// A client whose credentials' lifetimes run on `clock`.
    pub fn build(
        settings: &WeComSettings,
        retry: RetryPolicy,
        clock: crate::clock::Clock,
    ) -> Result<Self, WeComError> {
        // No redirects: WeCom's API answers in place, and an address WeCom gave (a join
        // way's QR image) must never lead the server anywhere else.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WeComError::Transport(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api_root: format!("{}/cgi-bin/", settings.api_base.trim_end_matches('/')),
                corp_id: settings.corp_id.clone(),
                agent_id: settings.agent_id,
                secret: settings.agent_secret.clone(),
                retry,
                token: CredentialCache::with_clock("access_token", clock.clone()),
                corp_ticket: CredentialCache::with_clock("corp_ticket", clock.clone()),
                agent_ticket: CredentialCache::with_clock("agent_ticket", clock.clone()),
            }),
        })
    }

    /// Shares the token and both tickets with every instance on `db`: fetched once
    /// per lifetime for all, invalidated for all.
    pub fn share_credentials(&self, db: &crate::db::Db) {
        let app = format!("{}:{}", self.inner.corp_id, self.inner.agent_id);
        let i = &self.inner;
        i.token.share_in(db.clone(), format!("token:{app}"));
        i.corp_ticket
            .share_in(db.clone(), format!("corp_ticket:{app}"));
        i.agent_ticket
            .share_in(db.clone(), format!("agent_ticket:{app}"));
    }

    /// The HTTP client WeCom is called with (its timeouts), for `media.rs`.
    pub(super) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub fn corp_id(&self) -> &str {
        &self.inner.corp_id
    }

    pub fn agent_id(&self) -> i64 {
        self.inner.agent_id
    }

    // ---- credentials -------------------------------------------------------------

    /// The app's access token (cached, single flight). Only `doctor` and this module use it.
    pub(crate) async fn access_token(&self) -> Result<Arc<str>, WeComError> {
        bounded(self.inner.token.get_or_refresh(|| async {
            let secret = self.inner.secret.expose_secret();
            let t: AccessToken = self
                .request(
                    Method::GET,
                    "gettoken",
                    &[("corpid", self.corp_id())],
                    Auth::Secret(secret),
                    None,
                )
                .await?;
            Ok((t.access_token, t.expires_in))
        }))
        .await
    }

    /// The corp JS-SDK ticket, for `wx.config` / `getConfigSignature`.
    pub async fn corp_jsapi_ticket(&self) -> Result<Arc<str>, WeComError> {
        bounded(self.inner.corp_ticket.get_or_refresh(|| async {
            let t: Ticket = self.get("get_jsapi_ticket", &[]).await?;
            Ok((t.ticket, t.expires_in))
        }))
        .await
    }

    /// The app JS-SDK ticket, for `wx.agentConfig` / `getAgentConfigSignature`.
    pub async fn agent_jsapi_ticket(&self) -> Result<Arc<str>, WeComError> {
        bounded(self.inner.agent_ticket.get_or_refresh(|| async {
            let t: Ticket = self.get("ticket/get", &[("type", "agent_config")]).await?;
            Ok((t.ticket, t.expires_in))
        }))
        .await
    }

    /// Both tickets (corp, app), fetched concurrently when cold.
    pub async fn jsapi_tickets(&self) -> Result<(Arc<str>, Arc<str>), WeComError> {
        if let (Some(c), Some(a)) = (
            self.inner.corp_ticket.fresh(),
            self.inner.agent_ticket.fresh(),
        ) {
            return Ok((c, a));
        }
        try_join(self.corp_jsapi_ticket(), self.agent_jsapi_ticket()).await
    }

    // ---- OAuth and members -------------------------------------------------------

    /// `auth/getuserinfo`: who a single-use OAuth code belongs to.
    pub async fn user_of_code(&self, code: &str) -> Result<AuthUserInfo, WeComError> {
        self.get("auth/getuserinfo", &[("code", code)]).await
    }

    /// `user/get`.
    pub async fn member(&self, userid: &str) -> Result<Member, WeComError> {
        self.get("user/get", &[("userid", userid)]).await
    }

    // ---- customers ---------------------------------------------------------------

    /// `externalcontact/list`: a member's customer ids (84061 → empty).
    pub async fn customer_ids(&self, userid: &str) -> Result<Vec<String>, WeComError> {
        match self
            .get::<ExternalUserIds>("externalcontact/list", &[("userid", userid)])
            .await
        {
            Ok(ids) => Ok(ids.external_userid),
            Err(e) if e.kind() == super::WeComErrorKind::NoCustomers => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// `externalcontact/get`: one customer and every member who follows them.
    pub async fn customer(
        &self,
        external_userid: &str,
        cursor: &str,
    ) -> Result<ExternalContactDetail, WeComError> {
        self.get(
            "externalcontact/get",
            &[("external_userid", external_userid), ("cursor", cursor)],
        )
        .await
    }

    /// `externalcontact/batch/get_by_user`: one page (≤100) of the members' customers
    /// with details. A member with no customers (84061) is an empty last page.
    pub async fn customers_page(
        &self,
        userids: &[String],
        cursor: &str,
        limit: u32,
    ) -> Result<CustomersPage, WeComError> {
        let body = BatchGetByUser {
            userid_list: userids.to_vec(),
            cursor: cursor.to_string(),
            limit: Some(limit),
        };
        match self.post("externalcontact/batch/get_by_user", &body).await {
            Err(e) if e.kind() == super::WeComErrorKind::NoCustomers => Ok(CustomersPage {
                external_contact_list: Vec::new(),
                next_cursor: String::new(),
            }),
            other => other,
        }
    }

    /// `externalcontact/remark` (`remark_mobiles` overwrites the whole list).
    pub async fn set_remark(&self, remark: &Remark) -> Result<(), WeComError> {
        self.post::<Empty>("externalcontact/remark", remark)
            .await
            .map(drop)
    }

    // ---- customer groups and join ways -------------------------------------------

    pub async fn group_chats(
        &self,
        query: &GroupChatListQuery,
    ) -> Result<GroupChatPage, WeComError> {
        self.post("externalcontact/groupchat/list", query).await
    }

    /// `externalcontact/groupchat/get` with names.
    pub async fn group_chat(&self, chat_id: &str) -> Result<GroupChat, WeComError> {
        let body = GroupChatQuery {
            chat_id: chat_id.to_string(),
            need_name: 1,
        };
        self.post::<GroupChatDetail>("externalcontact/groupchat/get", &body)
            .await
            .map(|d| d.group_chat)
    }

    pub async fn add_join_way(&self, settings: &JoinWaySettings) -> Result<String, WeComError> {
        self.post::<ConfigId>("externalcontact/groupchat/add_join_way", settings)
            .await
            .map(|c| c.config_id)
    }

    pub async fn join_way(&self, config_id: &str) -> Result<JoinWay, WeComError> {
        let body = ConfigId {
            config_id: config_id.to_string(),
        };
        self.post::<JoinWayDetail>("externalcontact/groupchat/get_join_way", &body)
            .await
            .map(|d| d.join_way)
    }

    pub async fn update_join_way(&self, update: &JoinWayUpdate) -> Result<(), WeComError> {
        self.post::<Empty>("externalcontact/groupchat/update_join_way", update)
            .await
            .map(drop)
    }

    pub async fn delete_join_way(&self, config_id: &str) -> Result<(), WeComError> {
        let body = ConfigId {
            config_id: config_id.to_string(),
        };
        self.post::<Empty>("externalcontact/groupchat/del_join_way", &body)
            .await
            .map(drop)
    }

    // ---- internal chats and app messages -----------------------------------------

    /// `appchat/create` → chat id.
    pub async fn create_app_chat(&self, chat: &AppChatCreate) -> Result<String, WeComError> {
        self.post::<AppChatId>("appchat/create", chat)
            .await
            .map(|c| c.chatid)
    }

    pub async fn app_chat(&self, chatid: &str) -> Result<AppChatInfo, WeComError> {
        self.get::<AppChatDetail>("appchat/get", &[("chatid", chatid)])
            .await
            .map(|d| d.chat_info)
    }

    pub async fn send_to_app_chat(&self, message: &AppChatMessage) -> Result<(), WeComError> {
        self.post::<Empty>("appchat/send", message).await.map(drop)
    }

    /// `message/send` from this app; the agent id is filled in.
    pub async fn send_app_message(
        &self,
        touser: &[String],
        content: MessageContent,
    ) -> Result<MessageReceipt, WeComError> {
        let body = AppMessage {
            touser: touser.join("|"),
            agentid: self.agent_id(),
            content,
            safe: 0,
        };
        self.post("message/send", &body).await
    }

    /// `webhook/send` to a group robot. `webhook_url` is the robot's full URL (with its
    /// key). One try: the outbox retries, counting every try against the robot's rate.
    #[tracing::instrument(name = "wecom", skip_all, fields(path = "webhook/send"))]
    pub async fn send_robot(
        &self,
        webhook_url: &SecretString,
        message: &RobotMessage,
    ) -> Result<(), WeComError> {
        let body = serde_json::to_vec(message).map_err(|e| WeComError::Decode(e.to_string()))?;
        let req = self
            .inner
            .http
            .post(webhook_url.expose_secret())
            .header("content-type", "application/json")
            .body(body);
        // Measured under its API path: the URL carries the robot's key.
        bounded(exchange::<Empty>("cgi-bin/webhook/send", req))
            .await
            .map(drop)
    }

    // ---- plumbing ----------------------------------------------------------------

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, WeComError> {
        self.with_token(Method::GET, path, query, None).await
    }

    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, WeComError> {
        let body = serde_json::to_vec(body).map_err(|e| WeComError::Decode(e.to_string()))?;
        self.with_token(Method::POST, path, &[], Some(Body::Json(body)))
            .await
    }

    /// A call that needs the access token: a rejected token (40014, 42001, 40001) is
    /// dropped, refetched and the call tried once more.
    pub(super) async fn with_token<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Body>,
    ) -> Result<T, WeComError> {
        bounded(self.with_token_unbounded(method, path, query, body)).await
    }

    async fn with_token_unbounded<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Body>,
    ) -> Result<T, WeComError> {
        let mut refetched = false;
        loop {
            let token = self.access_token().await?;
            let result = self
                .request(
                    method.clone(),
                    path,
                    query,
                    Auth::Token(&token),
                    body.as_ref(),
                )
                .await;
            match result {
                Err(WeComError::Api { errcode, .. })
                    if WeComError::is_token_invalid(errcode) && !refetched =>
                {
                    tracing::info!(
                        path,
                        errcode,
                        "WeCom rejected the token; fetching a new one"
                    );
                    self.inner.token.invalidate(&token).await;
                    refetched = true;
                }
                other => return other,
            }
        }
    }

    /// One logical request with bounded retries on transient failures, in a `wecom`
    /// span inside the HTTP request's span (if any), so its retries name both. The span
    /// has the API path only: the query carries the token or the secret, and codes.
    #[tracing::instrument(name = "wecom", skip_all, fields(path = path))]
    async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        auth: Auth<'_>,
        body: Option<&Body>,
    ) -> Result<T, WeComError> {
        let url = format!("{}{}", self.inner.api_root, path);
        let endpoint = format!("cgi-bin/{path}");
        self.retrying(|| async {
            let mut req = self.inner.http.request(method.clone(), &url).query(query);
            req = match &auth {
                Auth::Token(token) => req.query(&[("access_token", *token)]),
                Auth::Secret(secret) => req.query(&[("corpsecret", *secret)]),
            };
            req = match body {
                Some(Body::Json(body)) => req
                    .header("content-type", "application/json")
                    .body(body.clone()),
                Some(Body::File(file)) => req.multipart(file.form()?),
                None => req,
            };
            exchange(&endpoint, req).await
        })
        .await
    }

    async fn retrying<T, F, Fut>(&self, mut attempt_once: F) -> Result<T, WeComError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, WeComError>>,
    {
        let policy = self.inner.retry;
        let mut attempt = 0;
        loop {
            match attempt_once().await {
                Err(e) if e.is_transient() && attempt < policy.retries => {
                    let pause = policy.delay(attempt);
                    tracing::warn!(error = %e, attempt, ?pause, "transient WeCom failure; retrying");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}
