//! The notices context: transient toasts in the corner.

use leptos::prelude::*;

use super::rules::{self, Toast};

/// How long a notice stays.
const TOAST_FOR: std::time::Duration = std::time::Duration::from_secs(6);

/// The notices context. `Copy`; get it with [`use_toasts`].
#[derive(Clone, Copy)]
pub struct Toasts {
    /// Shown now, oldest first.
    pub list: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

/// The notices context.
pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().expect("Toasts is provided by App before any component renders")
}

impl Toasts {
    /// None shown.
    pub fn new() -> Self {
        Toasts {
            list: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(1),
        }
    }

    /// Shows a notice for a few seconds (`kind`: `fill`, `reject`, `info`).
    pub fn toast(&self, kind: &'static str, text: String) {
        let mut next = self.next_id.get_value();
        let mut id = 0;
        self.list
            .update(|t| id = rules::push_toast(t, &mut next, kind, text));
        self.next_id.set_value(next);
        let list = self.list;
        set_timeout(move || list.update(|t| t.retain(|x| x.id != id)), TOAST_FOR);
    }

    /// Takes a notice away now.
    pub fn dismiss(&self, id: u64) {
        self.list.update(|t| t.retain(|x| x.id != id));
    }
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}
