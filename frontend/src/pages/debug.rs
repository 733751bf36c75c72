use leptos::prelude::*;

use crate::components::checks::DeploymentChecksCard;
use crate::use_session;
use crate::wecom::{self, ConfigStatus, SdkState};

fn status_view(s: ConfigStatus) -> AnyView {
    match s {
        ConfigStatus::NotStarted => view! { <span class="muted">"未开始"</span> }.into_any(),
        ConfigStatus::Pending => view! { <span class="muted">"进行中…"</span> }.into_any(),
        ConfigStatus::Ok => view! { <span class="badge badge-ok">"成功"</span> }.into_any(),
        ConfigStatus::Failed(e) => view! {
            <span class="badge badge-error">"失败"</span>
            <p class="text-error">{e.message()}</p>
        }
        .into_any(),
    }
}

/// Diagnostics: what real deployments need first (40093, 80001 …).
#[component]
pub fn Debug() -> impl IntoView {
    let sdk = expect_context::<SdkState>();
    let session = use_session();
    let user = session.user.clone();
    view! {
        <header class="topbar">
            <h1>"诊断信息"</h1>
            <p class="muted">"签名失败（40093）、域名不可信（80001）时请把本页截图给管理员。"</p>
        </header>
        <section class="card">
            <dl class="facts">
                <dt>"JS-SDK"</dt>
                <dd data-testid="sdk-version">
                    {wecom::sdk_version().unwrap_or_else(|| "未加载".into())}
                </dd>
                <dt>"环境"</dt>
                <dd>{wecom::environment().label()}</dd>
                <dt>"User-Agent"</dt>
                <dd class="mono">{wecom::user_agent()}</dd>
                <dt>"config"</dt>
                <dd data-testid="config-status">
                    {move || status_view(sdk.config.get())}
                    // Clients older than 3.0.24 only: current ones run agentConfig alone.
                    {move || (sdk.config.get() == ConfigStatus::NotStarted).then(|| view! {
                        <p class="muted">"3.0.24 及以上版本的企业微信只做 agentConfig，不需要 config。"</p>
                    })}
                </dd>
                <dt>"agentConfig"</dt>
                <dd data-testid="agent-config-status">
                    {move || status_view(sdk.agent_config.get())}
                </dd>
                <dt>"签名 URL"</dt>
                <dd class="mono" data-testid="signed-url">
                    {move || sdk.signed_url.get().unwrap_or_else(|| "—".into())}
                </dd>
                <dt>"页面 URL"</dt>
                <dd class="mono">{window().location().href().unwrap_or_default()}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"会话"</h2>
            <dl class="facts">
                <dt>"企业"</dt>
                <dd class="mono">{session.corp_id.clone()}</dd>
                <dt>"应用"</dt>
                <dd class="mono">{session.agent_id}</dd>
                <dt>"成员"</dt>
                <dd class="mono" data-testid="session-user">
                    {user.map(|u| format!("{}（{}）", u.name, u.user_id)).unwrap_or_else(|| "未登录".into())}
                </dd>
            </dl>
        </section>
        <DeploymentChecksCard />
        <a class="btn btn-secondary" href="/" rel="external">"返回首页"</a>
    }
}
