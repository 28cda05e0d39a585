//! The login page (and, while the desk has no users, the first admin's bootstrap form).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::auth::use_auth;

/// The value of `token` in a query string such as `?token=abc&x=1` (percent-decoded by the
/// caller's decoder), if any.
pub fn token_in_query(search: &str) -> Option<&str> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
}

/// Takes the first-run token out of the address bar (the login link printed at start is
/// `http://…/?token=…`): returns it and replaces the URL with one without the query, so the
/// token stays out of history and bookmarks.
fn take_token_from_url() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let token = token_in_query(&search)?;
    let token = js_sys::decode_uri_component(token).ok().map(String::from)?;
    let clean = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.hash().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(token)
}

/// Username + password form; with `bootstrap_needed`, also the one-time token field and
/// "create the first admin".
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let bootstrap = move || {
        auth.0
            .with(|s| s.as_ref().is_some_and(|s| s.bootstrap_needed))
    };
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let token = RwSignal::new(take_token_from_url().unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (u, p, t) = (
            username.get_untracked(),
            password.get_untracked(),
            token.get_untracked(),
        );
        let first = bootstrap();
        spawn_local(async move {
            let answer = if first {
                api::bootstrap(t.trim(), u.trim(), &p).await
            } else {
                api::login(u.trim(), &p).await
            };
            busy.set(false);
            match answer {
                Ok(view) => auth.set(view),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="login-page">
            <form class="login-form pane" data-testid="login-form" on:submit=submit>
                <h1>"Kalshi Desk"</h1>
                <Show when=bootstrap>
                    <p class="hint" data-testid="bootstrap-hint">
                        "No users yet: the login link the desk printed at start fills in its one-time token; choose the first admin's name and password."
                    </p>
                    <label>"Bootstrap token"
                        <input type="text" autocomplete="off" data-testid="bootstrap-token"
                            prop:value=move || token.get()
                            on:input=move |ev| token.set(event_target_value(&ev))/>
                    </label>
                </Show>
                <label>"Username"
                    <input type="text" autocomplete="username" data-testid="login-username"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label>"Password"
                    <input type="password" autocomplete="current-password" data-testid="login-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <button type="submit" data-testid="login-submit" prop:disabled=move || busy.get()>
                    {move || if bootstrap() { "Create admin and log in" } else { "Log in" }}
                </button>
                <Show when=move || error.get().is_some()>
                    <p class="error" data-testid="login-error">{move || error.get().unwrap_or_default()}</p>
                </Show>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::token_in_query;

    #[test]
    fn the_token_is_read_from_the_login_link_query() {
        assert_eq!(token_in_query("?token=abc-_9"), Some("abc-_9"));
        assert_eq!(token_in_query("?x=1&token=t"), Some("t"));
        assert_eq!(token_in_query("?token="), None);
        assert_eq!(token_in_query(""), None);
        assert_eq!(token_in_query("?tokens=x"), None);
    }
}
