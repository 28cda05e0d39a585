//! Corner notices for fills and rejects; each disappears by itself after a few seconds.

use leptos::prelude::*;

use crate::state::use_toasts;

/// The toast stack.
#[component]
pub fn Toasts() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" data-testid="toasts" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    view! {
                        <div
                            class=format!("toast toast-{}", toast.kind)
                            data-testid="toast"
                            data-kind=toast.kind
                            on:click=move |_| toasts.dismiss(id)
                        >
                            {toast.text}
                        </div>
                    }
                }
            </For>
        </div>
    }
}
