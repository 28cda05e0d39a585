//! Keyboard shortcuts of a market's page, and the `?` overlay that lists them.
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
use wasm_bindgen::JsCast;

use crate::api;
use crate::state::{
    use_account, use_market, use_ticket, use_toasts, Account, MarketData, Ticket, Toasts,
};

/// Every shortcut: (keys, what it does). The overlay lists exactly these.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("B", "Buy: send the ticket as a buy"),
    ("S", "Sell: send the ticket as a sell"),
    ("Y / N", "Ticket side YES / NO"),
    ("↑ or +", "Ticket price up one tick"),
    ("↓ or −", "Ticket price down one tick"),
    ("X", "Cancel all my orders in this market"),
    ("?", "Show or hide this list"),
    ("Esc", "Close this list"),
];

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Submit as a buy.
    Buy,
    /// Submit as a sell.
    Sell,
    /// Choose a side.
    Side(Side),
    /// One tick up (`true`) or down.
    Tick(bool),
    /// Cancel all in the open market.
    CancelAll,
    /// Toggle the overlay.
    Help,
    /// Close the overlay.
    Close,
}

/// The command of a `KeyboardEvent.key`, if any.
pub fn command(key: &str) -> Option<Command> {
    Some(match key {
        "b" | "B" => Command::Buy,
        "s" | "S" => Command::Sell,
        "y" | "Y" => Command::Side(Side::Yes),
        "n" | "N" => Command::Side(Side::No),
        "ArrowUp" | "+" | "=" => Command::Tick(true),
        "ArrowDown" | "-" | "_" => Command::Tick(false),
        "x" | "X" => Command::CancelAll,
        "?" => Command::Help,
        "Escape" => Command::Close,
        _ => return None,
    })
}

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
    let open = RwSignal::new(false);
    let handle = window_event_listener(ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || typing(&ev) {
            return;
        }
        let Some(cmd) = command(&ev.key()) else {
            return;
        };
        let has_market = data.selected.with_untracked(Option::is_some);
        match cmd {
            Command::Help => open.update(|o| *o = !*o),
            Command::Close => open.set(false),
            _ if !has_market => return,
            Command::Buy | Command::Sell => {
                let action = if cmd == Command::Buy {
                    Action::Buy
                } else {
                    Action::Sell
                };
                ticket.action.set(action);
                submit_ticket();
            }
            Command::Side(side) => ticket.side.set(side),
            Command::Tick(up) => market.with_untracked(|m| nudge(data, ticket, m.as_ref(), up)),
            Command::CancelAll => cancel_all_here(data, account, toasts),
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
                <div class="shortcuts-card">
                    <div class="pane-title">"Keyboard shortcuts"</div>
                    <table>
                        {SHORTCUTS
                            .iter()
                            .map(|(k, what)| view! { <tr><td class="key"><kbd>{*k}</kbd></td><td>{*what}</td></tr> })
                            .collect_view()}
                    </table>
                    <div class="muted">"Keys do nothing while you type in a field. Click or Esc to close."</div>
                </div>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_commands() {
        assert_eq!(command("b"), Some(Command::Buy));
        assert_eq!(command("S"), Some(Command::Sell));
        assert_eq!(command("ArrowUp"), Some(Command::Tick(true)));
        assert_eq!(command("-"), Some(Command::Tick(false)));
        assert_eq!(command("x"), Some(Command::CancelAll));
        assert_eq!(command("q"), None);
    }
}
