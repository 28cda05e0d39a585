//! Who is logged in: the [`Auth`] context (the `GET /api/session` answer), read by every
//! component that shows or hides a control by permission.

use leptos::prelude::*;
use shared::auth::{Permissions, SessionView};

/// The session, provided as context by [`crate::App`]. `None` until `/api/session` answered.
#[derive(Clone, Copy)]
pub struct Auth(pub RwSignal<Option<SessionView>>);

impl Auth {
    /// Stores a session answer (and its CSRF token for the API client).
    pub fn set(&self, view: SessionView) {
        crate::api::set_csrf(view.csrf_token.clone());
        self.0.set(Some(view));
    }

    /// The user's permissions (all false while logged out).
    pub fn permissions(&self) -> Permissions {
        self.0
            .with(|s| s.as_ref().map(|s| s.permissions).unwrap_or_default())
    }

    /// The logged-in user's name.
    pub fn username(&self) -> Option<String> {
        self.0.with(|s| {
            s.as_ref()
                .and_then(|s| s.user.as_ref())
                .map(|u| u.username.clone())
        })
    }

    /// Whether someone is logged in.
    pub fn logged_in(&self) -> bool {
        self.0
            .with(|s| s.as_ref().is_some_and(|s| s.user.is_some()))
    }
}

/// The [`Auth`] context.
pub fn use_auth() -> Auth {
    use_context::<Auth>().expect("Auth is provided by App before any page renders")
}

/// Whether the logged-in user may trade (orders, order groups).
pub fn can_trade() -> Signal<bool> {
    let auth = use_auth();
    Signal::derive(move || auth.permissions().trade)
}

/// Whether the logged-in user may work the RFQ desk.
pub fn can_rfq() -> Signal<bool> {
    let auth = use_auth();
    Signal::derive(move || auth.permissions().rfq)
}

/// Whether the logged-in user is an admin.
pub fn is_admin() -> Signal<bool> {
    let auth = use_auth();
    Signal::derive(move || auth.permissions().admin)
}
