//! The only code that touches the WeCom JS-SDK (`@wecom/jssdk`, global `ww`):
//! bindings, typed async wrappers with timeouts, and `register` with both
//! signature callbacks served by one `POST /api/jssdk/signatures` per page URL.

mod errors;

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures::future::{select, Either};
use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use errors::{client_version, OPEN_EXISTED_CHAT_SINCE};
pub use errors::{Environment, OpenChatError, WwError};

use crate::api;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ww, js_name = register, catch)]
    fn ww_register(options: &Object) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = getContext, catch)]
    fn ww_get_context() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = getCurExternalContact, catch)]
    fn ww_get_cur_external_contact() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = getCurExternalChat, catch)]
    fn ww_get_cur_external_chat() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = selectExternalContact, catch)]
    fn ww_select_external_contact(params: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = openEnterpriseChat, catch)]
    fn ww_open_enterprise_chat(params: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = openExistedChatWithMsg, catch)]
    fn ww_open_existed_chat_with_msg(params: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = updateEnterpriseChat, catch)]
    fn ww_update_enterprise_chat(params: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ww, js_name = sendChatMessage, catch)]
    fn ww_send_chat_message(params: &Object) -> Result<Promise, JsValue>;
}

/// The APIs this app registers for.
const JS_API_LIST: [&str; 8] = [
    "getContext",
    "getCurExternalContact",
    "getCurExternalChat",
    "selectExternalContact",
    "openEnterpriseChat",
    "openExistedChatWithMsg",
    "updateEnterpriseChat",
    "sendChatMessage",
];

/// Quick answers (context) and answers that wait for the member (sheets, pickers).
const QUICK: Duration = Duration::from_secs(10);
const INTERACTIVE: Duration = Duration::from_secs(600);

/// Where this page runs.
pub fn environment() -> Environment {
    let ua = window().navigator().user_agent().unwrap_or_default();
    Environment::from_user_agent(&ua)
}

pub fn user_agent() -> String {
    window().navigator().user_agent().unwrap_or_default()
}

/// `ww.SDK_VERSION`, or `None` when the SDK did not load.
pub fn sdk_version() -> Option<String> {
    let ww = Reflect::get(&js_sys::global(), &"ww".into()).ok()?;
    Reflect::get(&ww, &"SDK_VERSION".into()).ok()?.as_string()
}

/// How `config` / `agentConfig` went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigStatus {
    NotStarted,
    Pending,
    Ok,
    Failed(WwError),
}

/// What the diagnostics page shows about the SDK; provided as context.
#[derive(Debug, Clone, Copy)]
pub struct SdkState {
    pub config: RwSignal<ConfigStatus>,
    pub agent_config: RwSignal<ConfigStatus>,
    /// The URL the SDK asked signatures for.
    pub signed_url: RwSignal<Option<String>>,
}

impl SdkState {
    pub fn new() -> Self {
        Self {
            config: RwSignal::new(ConfigStatus::NotStarted),
            agent_config: RwSignal::new(ConfigStatus::NotStarted),
            signed_url: RwSignal::new(None),
        }
    }
}

impl Default for SdkState {
    fn default() -> Self {
        Self::new()
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a plain object cannot fail.
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

fn get_str(v: &JsValue, key: &str) -> Option<String> {
    Reflect::get(v, &key.into()).ok()?.as_string()
}

/// A failed call's result. Its `errCode` is the client's own (2, -1 …): what WeCom
/// said is in the texts (`e=40093` in `errMsg` or `err_info`).
fn error_of(v: &JsValue) -> WwError {
    match get_str(v, "errMsg") {
        Some(msg) => WwError::from_failure(&msg, &get_str(v, "err_info").unwrap_or_default()),
        None => WwError::Other(
            v.as_string()
                .or_else(|| Reflect::get(v, &"message".into()).ok()?.as_string())
                .unwrap_or_else(|| "未知错误".into()),
        ),
    }
}

thread_local! {
    /// One signatures request per page URL, shared by both SDK callbacks.
    static SIGNED: RefCell<HashMap<String, Promise>> = RefCell::new(HashMap::new());
}

fn signatures_for(url: String) -> Promise {
    SIGNED.with(|cache| {
        cache
            .borrow_mut()
            .entry(url.clone())
            .or_insert_with(|| {
                future_to_promise(async move {
                    let s = match api::signatures(&url).await {
                        Ok(s) => s,
                        Err(f) => {
                            // Not kept: the SDK asks again on the next call (a
                            // network blip must not break signing until a reload).
                            SIGNED.with(|cache| cache.borrow_mut().remove(&url));
                            return Err(JsValue::from(f.message));
                        }
                    };
                    let both = Object::new();
                    for (key, sig) in [("corp", s.corp), ("agent", s.agent)] {
                        let o = Object::new();
                        set(&o, "timestamp", sig.timestamp as f64);
                        set(&o, "nonceStr", sig.nonce_str);
                        set(&o, "signature", sig.signature);
                        set(&both, key, o);
                    }
                    Ok(both.into())
                })
            })
            .clone()
    })
}

/// A `getConfigSignature` / `getAgentConfigSignature` callback: picks `which` out of
/// the shared answer.
fn signature_callback(which: &'static str, state: SdkState) -> Function {
    Closure::<dyn FnMut(String) -> Promise>::new(move |url: String| {
        state.signed_url.set(Some(url.clone()));
        let both = signatures_for(url);
        future_to_promise(async move {
            let both = JsFuture::from(both).await?;
            Reflect::get(&both, &which.into())
        })
    })
    .into_js_value()
    .unchecked_into()
}

fn status_callback(signal: RwSignal<ConfigStatus>, ok: bool) -> Function {
    Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
        signal.set(if ok {
            ConfigStatus::Ok
        } else {
            ConfigStatus::Failed(error_of(&v))
        });
    })
    .into_js_value()
    .unchecked_into()
}

/// `ww.register` with the app identity. Inside WeCom the SDK then runs `agentConfig`
/// at once; outcomes land in `state`. Outside WeCom nothing is registered: there is
/// no client to answer, and every call says so at once.
pub fn register(corp_id: &str, agent_id: i64, state: SdkState) -> Result<(), WwError> {
    if environment() != Environment::WeCom {
        return Err(WwError::NotInWeCom);
    }
    let options = Object::new();
    set(&options, "corpId", corp_id);
    set(&options, "agentId", agent_id as f64);
    let list: Array = JS_API_LIST.iter().map(|s| JsValue::from_str(s)).collect();
    set(&options, "jsApiList", list);
    // Only clients older than 3.0.24 ask for this one (config, then agentConfig);
    // current clients run agentConfig alone, so `state.config` stays NotStarted.
    set(
        &options,
        "getConfigSignature",
        signature_callback("corp", state),
    );
    set(
        &options,
        "getAgentConfigSignature",
        signature_callback("agent", state),
    );
    set(
        &options,
        "onConfigSuccess",
        status_callback(state.config, true),
    );
    set(
        &options,
        "onConfigFail",
        status_callback(state.config, false),
    );
    set(
        &options,
        "onAgentConfigSuccess",
        status_callback(state.agent_config, true),
    );
    set(
        &options,
        "onAgentConfigFail",
        status_callback(state.agent_config, false),
    );
    state.agent_config.set(ConfigStatus::Pending);
    ww_register(&options).map_err(|e| {
        let err = WwError::Other(format!("JS-SDK 未加载：{}", error_of(&e).message()));
        state.agent_config.set(ConfigStatus::Failed(err.clone()));
        err
    })
}

/// Awaits an SDK promise, with a timeout; outside WeCom, fails at once.
async fn call(started: Result<Promise, JsValue>, timeout: Duration) -> Result<JsValue, WwError> {
    if environment() != Environment::WeCom {
        return Err(WwError::NotInWeCom);
    }
    let promise = started.map_err(|e| error_of(&e))?;
    let answer = JsFuture::from(promise);
    let timer = gloo_timers::future::sleep(timeout);
    futures::pin_mut!(answer);
    futures::pin_mut!(timer);
    match select(answer, timer).await {
        Either::Left((Ok(v), _)) => Ok(v),
        Either::Left((Err(e), _)) => Err(error_of(&e)),
        Either::Right(_) => Err(WwError::Timeout),
    }
}

/// `ww.getContext()` → the entry the page was opened from (`normal`, `contact_profile`, …).
pub async fn get_context() -> Result<String, WwError> {
    let v = call(ww_get_context(), QUICK).await?;
    Ok(get_str(&v, "entry").unwrap_or_default())
}

/// `ww.getCurExternalContact()` → the customer's external user id.
pub async fn get_cur_external_contact() -> Result<String, WwError> {
    let v = call(ww_get_cur_external_contact(), QUICK).await?;
    get_str(&v, "userId").ok_or_else(|| WwError::Other("没有 userId".into()))
}

/// `ww.getCurExternalChat()` → the group's chat id.
pub async fn get_cur_external_chat() -> Result<String, WwError> {
    let v = call(ww_get_cur_external_chat(), QUICK).await?;
    get_str(&v, "chatId").ok_or_else(|| WwError::Other("没有 chatId".into()))
}

/// `ww.selectExternalContact({filterType: 0})` → the picked customers.
pub async fn select_external_contact() -> Result<Vec<String>, WwError> {
    let params = Object::new();
    set(&params, "filterType", 0);
    let v = call(ww_select_external_contact(&params), INTERACTIVE).await?;
    let ids = Reflect::get(&v, &"userIds".into()).unwrap_or(JsValue::UNDEFINED);
    Ok(Array::from(&ids)
        .iter()
        .filter_map(|x| x.as_string())
        .collect())
}

/// What `openEnterpriseChat` should open or create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterpriseChat {
    /// Create a group with these members and customers.
    Create {
        group_name: String,
        user_ids: Vec<String>,
        external_user_ids: Vec<String>,
    },
    /// Open an existing customer group.
    Open { chat_id: String },
}

/// `ww.openEnterpriseChat` → the chat id (given with the app identity).
pub async fn open_enterprise_chat(chat: &EnterpriseChat) -> Result<String, WwError> {
    let params = Object::new();
    match chat {
        EnterpriseChat::Create {
            group_name,
            user_ids,
            external_user_ids,
        } => {
            let strings = |v: &Vec<String>| -> Array { v.iter().map(JsValue::from).collect() };
            set(&params, "groupName", group_name.as_str());
            set(&params, "userIds", strings(user_ids));
            set(&params, "externalUserIds", strings(external_user_ids));
        }
        EnterpriseChat::Open { chat_id } => set(&params, "chatId", chat_id.as_str()),
    }
    let v = call(ww_open_enterprise_chat(&params), INTERACTIVE).await?;
    Ok(get_str(&v, "chatId").unwrap_or_default())
}

/// `ww.openExistedChatWithMsg({chatId})`, which needs client 3.1.8 or newer. On an
/// older client a customer group (`customer_group`) opens through
/// `openEnterpriseChat({chatId})` instead; that opens customer groups only, so any
/// other chat (an app chat) cannot, and the member is told to update WeCom.
pub async fn open_existed_chat_with_msg(
    chat_id: &str,
    customer_group: bool,
) -> Result<(), OpenChatError> {
    if client_version(&user_agent()).is_some_and(|v| v < OPEN_EXISTED_CHAT_SINCE) {
        if !customer_group {
            return Err(OpenChatError::ClientTooOld);
        }
        let chat = EnterpriseChat::Open {
            chat_id: chat_id.to_string(),
        };
        open_enterprise_chat(&chat).await?;
        return Ok(());
    }
    let params = Object::new();
    set(&params, "chatId", chat_id);
    call(ww_open_existed_chat_with_msg(&params), INTERACTIVE).await?;
    Ok(())
}

/// `ww.updateEnterpriseChat({chatId, userIdsToAdd})`: adds members of the corp to a
/// customer group (app identity, client 3.0.36 or newer; the member calling it must
/// be in the group).
pub async fn update_enterprise_chat(chat_id: &str, user_ids: &[String]) -> Result<(), WwError> {
    let params = Object::new();
    set(&params, "chatId", chat_id);
    let ids: Array = user_ids.iter().map(JsValue::from).collect();
    set(&params, "userIdsToAdd", ids);
    call(ww_update_enterprise_chat(&params), INTERACTIVE).await?;
    Ok(())
}

/// What `sendChatMessage` puts into the chat the page was opened beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatMessage {
    Text(String),
    /// A temporary image WeCom keeps (`media/upload`), by its media id.
    Image(String),
}

/// `ww.sendChatMessage`: puts a message into the current chat, which the member then
/// sends in the client (D-98539: app identity; only from the chat toolbars, where the
/// member needs 客户联系 rights; elsewhere "without context of external contact").
pub async fn send_chat_message(message: &ChatMessage) -> Result<(), WwError> {
    let params = Object::new();
    let body = Object::new();
    match message {
        ChatMessage::Text(content) => {
            set(&params, "msgtype", "text");
            set(&body, "content", content.as_str());
            set(&params, "text", body);
        }
        ChatMessage::Image(media_id) => {
            set(&params, "msgtype", "image");
            set(&body, "mediaid", media_id.as_str());
            set(&params, "image", body);
        }
    }
    call(ww_send_chat_message(&params), INTERACTIVE).await?;
    Ok(())
}
