use leptos::prelude::*;

/// Any path the router does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h2>"页面不存在"</h2>
            <p class="muted">"链接可能已失效。"</p>
            <a class="btn btn-primary" href="/" rel="external">"回到首页"</a>
        </section>
    }
}
