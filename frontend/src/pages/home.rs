use leptos::prelude::*;

use crate::components::Loading;
use crate::pages::entry_label;
use crate::use_session;
use crate::wecom::{self, Environment};

/// Home: who I am, how the page was opened, and where to go.
#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
    let user = session
        .user
        .clone()
        .unwrap_or_else(|| desk_shared::SessionUser {
            user_id: String::new(),
            name: String::new(),
            avatar: String::new(),
        });
    let env = wecom::environment();
    let entry = LocalResource::new(wecom::get_context);
    let initial = user.name.chars().next().unwrap_or('我').to_string();

    view! {
        <header class="topbar">
            <div class="me">
                <span class="avatar" aria-hidden="true">{initial}</span>
                <div>
                    <h1 data-testid="member-name">{user.name.clone()}</h1>
                    <p class="muted">{user.user_id.clone()}</p>
                </div>
            </div>
        </header>
        <section class="card">
            <h2>"打开方式"</h2>
            <dl class="facts">
                <dt>"环境"</dt>
                <dd data-testid="environment">{env.label()}</dd>
                <dt>"入口"</dt>
                <dd data-testid="entry">
                    {move || match env {
                        Environment::WeCom => {
                            match entry.get() {
                                None => view! { <Loading label="正在询问企业微信…" /> }.into_any(),
                                Some(Ok(e)) => {
                                    view! { <span>{entry_label(&e)} " (" {e.clone()} ")"</span> }
                                        .into_any()
                                }
                                Some(Err(err)) => {
                                    view! { <span class="text-error">{err.message()}</span> }.into_any()
                                }
                            }
                        }
                        _ => view! { <span class="muted">"请在企业微信中打开"</span> }.into_any(),
                    }}
                </dd>
            </dl>
        </section>
        <nav class="card links">
            <a class="link-row" href="/orders" rel="external">
                "我的订单"
                <span class="muted">"一单一群"</span>
            </a>
            <a class="link-row" href="/admin" rel="external">
                "管理后台"
                <span class="muted">"管理员：部署、订单与群、群池、员工、消息、日志"</span>
            </a>
            <a class="link-row" href="/debug" rel="external">
                "诊断信息"
                <span class="muted">"SDK、签名、会话"</span>
            </a>
        </nav>
    }
}
