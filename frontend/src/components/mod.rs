//! Small building blocks shared by the pages.

use desk_shared::ErrorCode;
use leptos::prelude::*;

use crate::api::Failure;

pub mod batch;
pub mod checks;
pub mod contact_way;
pub mod group;
pub mod order_tools;
pub mod pool;
pub mod pull_in;
pub mod replies;

/// A unix time as the page's locale writes it (zh-CN: `2023/11/16 10:00:00`).
pub fn moment(unix_secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    d.to_locale_string("zh-CN", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// A spinner with a sentence saying what is being waited for.
#[component]
pub fn Loading(
    /// What is being waited for, e.g. "正在加载订单…".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// A failure and what to do next, with a retry button.
#[component]
pub fn Failed(
    /// What went wrong and what to do, in one or two sentences.
    #[prop(into)]
    message: String,
    /// Runs when the member taps "重试".
    on_retry: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert">
            <p>{message}</p>
            <button class="btn btn-secondary" on:click=move |_| on_retry.run(())>
                "重试"
            </button>
        </div>
    }
}

/// Why WeCom will not let this member use the app: each is its own page saying what
/// to ask the admin for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// Not in the app's visible range (60011).
    NotInAppRange,
    /// The app is not allowed the customer APIs, or the member lacks 客户联系 (48002).
    NoCustomerContact,
    /// The client refused the app identity: not installed, disabled, or not visible.
    AppUnavailable,
}

impl Blocker {
    /// The blocker a server answer means, if any.
    pub fn of(failure: &Failure) -> Option<Self> {
        match failure.code? {
            ErrorCode::NotInAppRange => Some(Self::NotInAppRange),
            ErrorCode::CustomerApiForbidden => Some(Self::NoCustomerContact),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::NotInAppRange => "你还不能使用本应用",
            Self::NoCustomerContact => "还没有客户联系权限",
            Self::AppUnavailable => "本应用暂时不可用",
        }
    }

    fn why(self) -> &'static str {
        match self {
            Self::NotInAppRange => "你不在本应用的可见范围内，企业微信不允许本应用为你读取客户和群。",
            Self::NoCustomerContact => {
                "本应用还不能调用企业微信的客户联系接口，或你的账号没有客户联系权限。"
            }
            Self::AppUnavailable => {
                "企业微信没有让本页面使用应用身份：应用可能没有安装、已被停用，或你不在它的可见范围内。"
            }
        }
    }

    fn ask(self) -> &'static str {
        match self {
            Self::NotInAppRange => {
                "请联系企业微信管理员：在管理后台「应用管理 → 本应用 → 可见范围」里添加你（或你所在的部门）。"
            }
            Self::NoCustomerContact => {
                "请联系企业微信管理员：在「客户与上下游 → 客户联系 → 权限配置」里给你开通客户联系，并在「可调用接口的应用」里加入本应用。"
            }
            Self::AppUnavailable => {
                "请联系企业微信管理员：确认本应用已启用、你在它的可见范围内，并检查「网页授权及JS-SDK」的可信域名。"
            }
        }
    }
}

/// A page for a member WeCom keeps out: what happened and what to ask the admin.
#[component]
pub fn Blocked(blocker: Blocker, on_retry: Callback<()>) -> impl IntoView {
    view! {
        <section class="card blocked" role="alert" data-testid="blocked">
            <h2>{blocker.title()}</h2>
            <p>{blocker.why()}</p>
            <p class="muted">{blocker.ask()}</p>
            <button class="btn btn-secondary" on:click=move |_| on_retry.run(())>
                "管理员处理后，点此重试"
            </button>
        </section>
    }
}

/// A failed server call: its own page when WeCom keeps the member out, else the
/// sentence and a retry button.
#[component]
pub fn Problem(failure: Failure, on_retry: Callback<()>) -> impl IntoView {
    match Blocker::of(&failure) {
        Some(blocker) => view! { <Blocked blocker=blocker on_retry=on_retry /> }.into_any(),
        None => view! { <Failed message=failure.message on_retry=on_retry /> }.into_any(),
    }
}

/// Something fetched now and again on `reload`; `get()` is `None` while it runs.
/// A lighter `LocalResource` for the sidebar (its bundle is downloaded on every
/// open): a newer fetch always wins over an older one still under way.
pub struct Load<T: Send + Sync + 'static> {
    value: RwSignal<Option<T>>,
    runs: StoredValue<u64>,
    fetch: StoredValue<Fetch<T>, LocalStorage>,
}

type Fetch<T> = Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>>>;

impl<T: Send + Sync + 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Load<T> {}

impl<T: Send + Sync + 'static> Load<T> {
    /// Starts `fetch()` at once.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: std::future::Future<Output = T> + 'static,
    {
        let fetch: Fetch<T> = Box::new(move || Box::pin(fetch()));
        let this = Self {
            value: RwSignal::new(None),
            runs: StoredValue::new(0),
            fetch: StoredValue::new_local(fetch),
        };
        this.reload();
        this
    }

    /// Fetches again; `get()` is `None` until the answer is in.
    pub fn reload(&self) {
        let Some(run) = self.runs.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        let Some(answer) = self.fetch.try_with_value(|f| f()) else {
            return;
        };
        let (value, runs) = (self.value, self.runs);
        value.set(None);
        // A read, not a mutation (those go through `Action`).
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            // Only the latest fetch counts, and only while the page still shows it.
            if runs.try_get_value() == Some(run) {
                let _ = value.try_set(Some(answer));
            }
        });
    }
}

impl<T: Clone + Send + Sync + 'static> Load<T> {
    /// The answer (tracked), or `None` while it is being fetched.
    pub fn get(&self) -> Option<T> {
        self.value.get()
    }

    /// The answer, not tracked.
    pub fn get_untracked(&self) -> Option<T> {
        self.value.get_untracked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: Option<ErrorCode>) -> Failure {
        Failure {
            message: "x".into(),
            code,
        }
    }

    #[test]
    fn members_wecom_keeps_out_get_their_own_page() {
        assert_eq!(
            Blocker::of(&failure(Some(ErrorCode::NotInAppRange))),
            Some(Blocker::NotInAppRange)
        );
        assert_eq!(
            Blocker::of(&failure(Some(ErrorCode::CustomerApiForbidden))),
            Some(Blocker::NoCustomerContact)
        );
        assert_eq!(Blocker::of(&failure(Some(ErrorCode::WecomFailed))), None);
        assert_eq!(Blocker::of(&failure(None)), None);
        for b in [
            Blocker::NotInAppRange,
            Blocker::NoCustomerContact,
            Blocker::AppUnavailable,
        ] {
            assert!(b.ask().contains("管理员"), "{b:?}");
        }
    }
}

/// 「由 X 转交」: who had the order before a handover gave it to its people now.
pub fn handed_over(o: &desk_shared::Order) -> Option<String> {
    let r = o.reassigned_from.as_ref()?;
    let names: Vec<&str> = [&r.designer, &r.project_manager]
        .into_iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect();
    (!names.is_empty()).then(|| format!("由 {} 转交", names.join("、")))
}
