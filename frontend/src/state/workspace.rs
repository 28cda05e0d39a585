//! The workspace context: the user's named layouts of the desk screen
//! ([`shared::workspace::Workspace`]), read from the desk at login and written back on
//! every change, so the layout follows the user to any machine.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::workspace::{Layout, Pane, Workspace};

use crate::api;
use crate::state::Toasts;

/// The workspace context. `Copy`; get it with [`use_workspace`].
#[derive(Clone, Copy)]
pub struct WorkspaceState {
    /// The workspace as shown (the default until the desk's copy arrives).
    pub workspace: RwSignal<Workspace>,
    /// True once the desk's copy was read (nothing is saved before, so a slow read never
    /// overwrites the stored layouts with the default).
    pub loaded: RwSignal<bool>,
    /// Where a failed read or save is told.
    toasts: Toasts,
    /// A save is on its way / another is wanted after it: saves go one at a time, so the
    /// desk ends with the newest workspace whatever order the answers arrive in.
    saving: StoredValue<(bool, bool)>,
}

/// The workspace context.
pub fn use_workspace() -> WorkspaceState {
    use_context::<WorkspaceState>().expect("the desk page provides the workspace")
}

impl WorkspaceState {
    /// Provides the context and reads the user's workspace from the desk.
    pub fn install(toasts: Toasts) -> WorkspaceState {
        let state = WorkspaceState {
            workspace: RwSignal::new(Workspace::default()),
            loaded: RwSignal::new(false),
            toasts,
            saving: StoredValue::new((false, false)),
        };
        provide_context(state);
        Effect::new(move |_| {
            crate::format::set_price_format(state.workspace.with(|w| w.prices));
        });
        spawn_local(async move {
            match api::workspace().await {
                Ok(ws) => state.workspace.set(ws),
                Err(e) => toasts.toast("reject", format!("Could not read your layouts: {e}")),
            }
            state.loaded.set(true);
        });
        state
    }

    /// The layout in use (tracked).
    pub fn layout(&self) -> Layout {
        self.workspace.with(Workspace::layout)
    }

    /// Changes the workspace on screen only (a drag in progress).
    pub fn preview(&self, change: impl FnOnce(&mut Workspace)) {
        self.workspace.update(change);
    }

    /// Changes the workspace and stores it on the desk.
    pub fn change(&self, change: impl FnOnce(&mut Workspace)) {
        self.workspace.update(change);
        self.save();
    }

    /// Changes the layout in use and stores it.
    pub fn change_layout(&self, change: impl FnOnce(&mut Layout)) {
        self.change(|ws| {
            let mut layout = ws.layout();
            change(&mut layout);
            ws.set_layout(layout);
        });
    }

    /// Collapses `pane`, or opens it again, in the layout in use.
    pub fn toggle(&self, pane: Pane) {
        self.change_layout(|l| l.toggle(pane));
    }

    /// Stores the workspace as it is now on the desk (once the desk's copy was read).
    pub fn save(&self) {
        if !self.loaded.get_untracked() {
            return;
        }
        let busy = self.saving.with_value(|(saving, _)| *saving);
        if busy {
            self.saving.update_value(|(_, again)| *again = true);
            return;
        }
        self.saving.set_value((true, false));
        let state = *self;
        spawn_local(async move {
            let ws = state.workspace.get_untracked();
            if let Err(e) = api::save_workspace(&ws).await {
                state
                    .toasts
                    .toast("reject", format!("Could not save your layout: {e}"));
            }
            let again = state.saving.with_value(|(_, again)| *again);
            state.saving.set_value((false, false));
            if again {
                state.save();
            }
        });
    }
}
