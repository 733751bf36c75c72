use leptos::prelude::*;

use crate::api;
use crate::components::{Failed, Loading};

/// Home: which corp and app this deployment serves, and who is logged in.
#[component]
pub fn Home() -> impl IntoView {
    let session = LocalResource::new(api::session);
    let retry = Callback::new(move |_| session.refetch());
    view! {
        <header class="topbar">
            <h1>"WeCom Desk"</h1>
            <p class="muted">"企业微信客户群助手"</p>
        </header>
        <section class="card">
            <Suspense fallback=|| view! { <Loading label="正在连接服务器…" /> }>
                {move || {
                    session
                        .get()
                        .map(|result| match result {
                            Ok(s) => {
                                view! {
                                    <dl class="facts">
                                        <dt>"企业"</dt>
                                        <dd>{s.corp_id}</dd>
                                        <dt>"应用"</dt>
                                        <dd>{s.agent_id}</dd>
                                        <dt>"成员"</dt>
                                        <dd>
                                            {s.user.map(|u| u.name).unwrap_or_else(|| "未登录".into())}
                                        </dd>
                                    </dl>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}
