//! Loading/error line for a REST resource: `<Transition>` + `<ErrorBoundary>` around the
//! resource, rendering nothing once loaded. The data itself lives in the `state` contexts or in the
//! component that owns the resource; this only reports how the load went.

use leptos::prelude::*;

use crate::api;

/// Shows "loading …" on the first load and the error text if the load failed.
#[component]
pub fn LoadStatus<T>(
    /// The load to report on.
    resource: LocalResource<api::Result<T>>,
    /// What is loading, for the text ("markets", "orders").
    what: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <div class="load-note">"Loading " {what} "…"</div> }>
            <ErrorBoundary fallback=move |errors| {
                view! {
                    <div class="load-error" data-testid="load-error">
                        "Could not load " {what} ": "
                        {move || {
                            errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")
                        }}
                    </div>
                }
            }>{move || Suspend::new(async move { resource.await.map(|_| ()) })}</ErrorBoundary>
        </Transition>
    }
}
