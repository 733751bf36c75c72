//! Small building blocks shared by the pages.

use leptos::prelude::*;

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
