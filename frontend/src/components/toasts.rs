//! Corner notices for fills and rejects; each disappears by itself after a few seconds, or
//! at its × button. Clicks anywhere else go through to the page below (a notice never
//! blocks the form under it).

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
                        >
                            <span class="toast-text">{toast.text}</span>
                            <button type="button" class="toast-close" data-testid="toast-close"
                                title="Dismiss" on:click=move |_| toasts.dismiss(id)>"×"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
