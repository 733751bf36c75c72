//! 群池 (admins): the pre-built empty customer groups behind the orders' join QR
//! codes: how many are free, register more by chat id, or discover the owners' ones.

use leptos::prelude::*;

use crate::components::pool::PoolPanel;

#[component]
pub fn PoolPage() -> impl IntoView {
    view! {
        <header class="topbar">
            <h1>"群池"</h1>
            <p class="muted">"预先建好的空客户群：成员生成进群二维码时从这里取一个给订单。"</p>
        </header>
        <PoolPanel />
        <a class="btn btn-secondary" href="/" rel="external">"返回首页"</a>
    }
}
