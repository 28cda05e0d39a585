//! Keyboard shortcuts of a market's page, and the `?` overlay that lists them and lets the
//! user change them: the keys are the user's own ([`shared::workspace::Workspace::shortcuts`],
//! stored on the desk), a key that already does something else is refused.
//!
//! One `keydown` listener on the window. It ignores keys typed into an input, select,
//! textarea or editable element, and keys with Ctrl/Alt/Meta, so typing a price or a
//! search never trades. The ticket is submitted through its own form
//! (`requestSubmit`), so a shortcut order passes the same validation as a click.

use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{Action, Side};
use shared::num::Dollars;
use shared::rest::Market;
use shared::workspace::{KeyCommand, Workspace};
use wasm_bindgen::JsCast;

use crate::api;
use crate::state::{
    use_account, use_market, use_ticket, use_toasts, use_workspace, Account, MarketData, Ticket,
    Toasts,
};

/// True when the key went to something the user types into.
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
}

/// Submits the ticket form once pending effects have run (the action was just set).
fn submit_ticket() {
    set_timeout(
        || {
            let form = document()
                .query_selector("[data-testid=\"ticket\"]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlFormElement>().ok());
            if let Some(form) = form {
                if let Err(e) = form.request_submit() {
                    leptos::logging::warn!("submitting the ticket failed: {e:?}");
                }
            }
        },
        Duration::ZERO,
    );
}

/// Moves the ticket price one tick on the market's grid; an empty price starts at the
/// best bid of the ticket's side (or $0.50).
fn nudge(data: MarketData, ticket: Ticket, market: Option<&Market>, up: bool) {
    let side = ticket.side.get_untracked();
    let text = ticket.price.get_untracked();
    let current = text.trim().trim_start_matches('$').parse::<Dollars>().ok();
    let next = match current {
        Some(p) => match market {
            Some(m) => m.step_price(p, up),
            None => {
                let cent = Dollars::from_cents(1);
                let p = if up {
                    p.checked_add(cent)
                } else {
                    p.checked_sub(cent)
                };
                p.filter(|p| p.is_valid_price())
            }
        },
        None => data
            .book
            .with_untracked(|b| b.book.best_bid(side).map(|(p, _)| p))
            .or(Some(Dollars::from_cents(50))),
    };
    if let Some(p) = next {
        ticket.price.set(p.to_string());
    }
}

fn cancel_all_here(data: MarketData, account: Account, toasts: Toasts) {
    let Some(ticker) = data.selected.get_untracked() else {
        return;
    };
    let subaccount = account.subaccount.get_untracked();
    spawn_local(async move {
        match api::cancel_all(Some(&ticker), subaccount).await {
            Ok(out) => {
                for id in &out.cancelled {
                    account.forget_order(id);
                }
                toasts.toast(
                    "info",
                    format!("Cancelled {} order(s) in {ticker}", out.cancelled.len()),
                );
                account.reload();
            }
            Err(e) => toasts.toast("reject", format!("Cancel all failed: {e}")),
        }
    });
}

/// Installs the shortcuts and renders the overlay (and the button that opens it).
#[component]
pub fn Shortcuts(
    /// The open market's details (its price grid).
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let account = use_account();
    let ticket = use_ticket();
    let toasts = use_toasts();
    let workspace = use_workspace();
    let open = RwSignal::new(false);
    // The command whose key the user is choosing (the next key pressed), and why the last
    // choice was refused.
    let choosing = RwSignal::new(None::<KeyCommand>);
    let refused = RwSignal::new(None::<String>);
    let handle = window_event_listener(ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || typing(&ev) {
            return;
        }
        let key = ev.key();
        if let Some(command) = choosing.get_untracked() {
            ev.prevent_default();
            choosing.set(None);
            if key == "Escape" {
                return;
            }
            let mut next = workspace.workspace.get_untracked();
            match next.bind(command, &key) {
                Ok(()) => {
                    refused.set(None);
                    workspace.change(|w| *w = next);
                }
                Err(why) => refused.set(Some(why)),
            }
            return;
        }
        if key == "Escape" {
            open.set(false);
            return;
        }
        let Some(cmd) = workspace.workspace.with_untracked(|w| w.command(&key)) else {
            return;
        };
        let has_market = data.selected.with_untracked(Option::is_some);
        match cmd {
            KeyCommand::Help => open.update(|o| *o = !*o),
            _ if !has_market => return,
            KeyCommand::Buy | KeyCommand::Sell => {
                let action = if cmd == KeyCommand::Buy {
                    Action::Buy
                } else {
                    Action::Sell
                };
                ticket.action.set(action);
                submit_ticket();
            }
            KeyCommand::SideYes => ticket.side.set(Side::Yes),
            KeyCommand::SideNo => ticket.side.set(Side::No),
            KeyCommand::TickUp | KeyCommand::TickDown => market.with_untracked(|m| {
                nudge(data, ticket, m.as_ref(), cmd == KeyCommand::TickUp);
            }),
            KeyCommand::CancelAll => cancel_all_here(data, account, toasts),
        }
        ev.prevent_default();
    });
    on_cleanup(move || handle.remove());
    view! {
        <button
            type="button"
            class="btn btn-small shortcuts-button"
            data-testid="shortcuts-button"
            title="Keyboard shortcuts"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            "⌨ Keys (?)"
        </button>
        <Show when=move || open.get()>
            <div class="shortcuts-overlay" data-testid="shortcuts-help" role="dialog" on:click=move |_| open.set(false)>
                <div class="shortcuts-card" on:click=|ev| ev.stop_propagation()>
                    <div class="pane-title">"Keyboard shortcuts"</div>
                    <table>
                        {KeyCommand::ALL
                            .into_iter()
                            .map(|command| {
                                let keys = move || {
                                    workspace.workspace.with(|w: &Workspace| w.keys(command).join(" or "))
                                };
                                let waiting = move || choosing.get() == Some(command);
                                view! {
                                    <tr data-testid="shortcut-row" data-command=command.as_str()>
                                        <td class="key"><kbd data-testid="shortcut-keys">{keys}</kbd></td>
                                        <td>{command.describe()}</td>
                                        <td>
                                            <button type="button" class="btn btn-small" data-testid="shortcut-change"
                                                class:active=waiting
                                                on:click=move |_| { refused.set(None); choosing.set(Some(command)); }>
                                                {move || if waiting() { "Press a key…" } else { "Change" }}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                        <tr><td class="key"><kbd>"Esc"</kbd></td><td>"Close this list"</td><td></td></tr>
                    </table>
                    {move || refused.get().map(|why| view! {
                        <div class="form-error" data-testid="shortcut-refused" role="alert">{why}</div>
                    })}
                    <div class="muted">"Keys do nothing while you type in a field. Your keys are kept on the desk. Click outside or Esc to close."</div>
                </div>
            </div>
        </Show>
    }
}
