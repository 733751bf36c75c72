//! The deployment checks card (what `wecom-desk doctor` prints), on the debug page and
//! in the admin console.

use desk_shared::{DeploymentChecks, ErrorCode};
use leptos::prelude::*;

use crate::api;
use crate::components::{Failed, Loading};

/// The server's deployment checks (what `wecom-desk doctor` prints), for admins: each
/// failure with the WeCom errcode explained and the console step that fixes it.
#[component]
pub fn DeploymentChecksCard() -> impl IntoView {
    let checks = LocalResource::new(api::deployment_checks);
    let retry = Callback::new(move |_| checks.refetch());
    view! {
        <section class="card" data-testid="deployment-checks">
            <h2>"部署检查"</h2>
            <Transition fallback=|| view! { <Loading label="正在检查部署…" /> }>
                {move || {
                    checks
                        .get()
                        .map(|result| match result {
                            Err(e) if e.is(ErrorCode::AdminOnly) => {
                                view! {
                                    <p class="muted">"只有管理员能看到部署检查；遇到问题请把本页截图发给管理员。"</p>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                            Ok(report) => checks_view(report),
                        })
                }}
            </Transition>
        </section>
    }
}

fn checks_view(report: DeploymentChecks) -> AnyView {
    view! {
        <p class=if report.passed { "text-ok" } else { "text-error" }>
            {if report.passed { "全部通过。" } else { "有检查未通过：按“处理”一步步改好后刷新本页。" }}
        </p>
        <ul class="checks">
            {report
                .checks
                .into_iter()
                .map(|c| {
                    let (badge, label) = match c.status.as_str() {
                        "pass" => ("badge badge-ok", "通过"),
                        "fail" => ("badge badge-error", "失败"),
                        _ => ("badge", "跳过"),
                    };
                    view! {
                        <li>
                            <span class=badge>{label}</span>
                            " "
                            <strong>{c.title}</strong>
                            <p class="muted">{c.detail}</p>
                            {c.fix.map(|fix| view! { <p>"处理："{fix}</p> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
