//! The desk's live client state, as small `Copy` contexts, each with its own getter:
//!
//! - [`connection`]: [`Connection`] — environment, trading state, halts, socket and
//!   upstream state ([`use_connection`]).
//! - [`market`]: [`MarketData`] — the open market, its book as a keyed store (one count
//!   signal per ladder level), tickers, lifecycle, marks, tape ([`use_market`]).
//! - [`account`]: [`Account`] — orders, positions, fills, subaccount, order groups
//!   ([`use_account`]).
//! - [`ticket`]: [`Ticket`] — the order ticket's fields ([`use_ticket`]).
//! - [`toasts`]: [`Toasts`] — notices ([`use_toasts`]).
//! - [`workspace`]: [`WorkspaceState`] — the user's named layouts, stored on the desk
//!   ([`use_workspace`]).
//! - [`rules`]: what each socket frame does (book version/snapshot/level, order upsert,
//!   fill dedupe and caps, position update, ticker merge, toast ids, order groups) as
//!   plain functions over plain data, unit-tested natively.
//!
//! The socket ([`crate::ws`]) writes into them frame by frame through [`Desk`]; REST
//! loads (see [`crate::pages::desk`]) seed them; components read the ones they need.

pub mod account;
pub mod connection;
pub mod market;
pub mod rules;
pub mod ticket;
pub mod toasts;
pub mod workspace;

use leptos::prelude::*;

pub use account::{use_account, Account};
pub use connection::{use_connection, ConnState, Connection, SocketState};
pub use market::{use_market, Level, MarketData};
pub use rules::{short_id, FillRow, FillTime, LiveBook, Toast, FILLS_CAP, TAPE_CAP};
pub use ticket::{use_ticket, Ticket};
pub use toasts::{use_toasts, Toasts};
pub use workspace::{use_workspace, WorkspaceState};

/// Every context of the desk, for the one place that writes into all of them (the socket).
/// Components use the `use_…()` getters instead.
#[derive(Clone, Copy)]
pub struct Desk {
    /// Connection and exchange state.
    pub connection: Connection,
    /// Market data.
    pub market: MarketData,
    /// The account.
    pub account: Account,
    /// The order ticket.
    pub ticket: Ticket,
    /// Notices.
    pub toasts: Toasts,
}

impl Desk {
    /// Creates every context and provides each one (called once, by the App).
    pub fn provide() -> Desk {
        let desk = Desk {
            connection: Connection::new(),
            market: MarketData::new(),
            account: Account::new(),
            ticket: Ticket::new(),
            toasts: Toasts::new(),
        };
        provide_context(desk.connection);
        provide_context(desk.market);
        provide_context(desk.account);
        provide_context(desk.ticket);
        provide_context(desk.toasts);
        desk
    }
}

/// Whether the admin's users and audit panes are open (an overlay below the top bar, so
/// the trading layout never changes size). Provided by the desk page; toggled in the top
/// bar.
#[derive(Clone, Copy)]
pub struct AdminOpen(pub RwSignal<bool>);

/// Whether the admin panes are open.
pub fn use_admin_open() -> AdminOpen {
    use_context::<AdminOpen>().expect("the desk page provides AdminOpen before its top bar")
}
