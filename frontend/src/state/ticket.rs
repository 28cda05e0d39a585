//! The order-ticket context: the form's fields as typed, shared by the ticket, the ladder
//! (click-to-trade) and the keyboard shortcuts.

use leptos::prelude::*;
use shared::ids::{Action, Side};
use shared::num::Dollars;

/// The ticket context. `Copy`; get it with [`use_ticket`].
#[derive(Clone, Copy)]
pub struct Ticket {
    /// Buy/sell.
    pub action: RwSignal<Action>,
    /// Yes/no.
    pub side: RwSignal<Side>,
    /// Price text as typed.
    pub price: RwSignal<String>,
    /// Count text as typed.
    pub count: RwSignal<String>,
}

/// The ticket context.
pub fn use_ticket() -> Ticket {
    use_context::<Ticket>().expect("Ticket is provided by App before any component renders")
}

impl Ticket {
    /// Buy 1 YES, no price yet.
    pub fn new() -> Self {
        Ticket {
            action: RwSignal::new(Action::Buy),
            side: RwSignal::new(Side::Yes),
            price: RwSignal::new(String::new()),
            count: RwSignal::new("1".to_owned()),
        }
    }

    /// Puts a ladder level's price (and side) into the ticket: click-to-trade.
    pub fn pick_level(&self, side: Side, price: Dollars) {
        self.side.set(side);
        self.price.set(price.to_string());
    }
}

impl Default for Ticket {
    fn default() -> Self {
        Self::new()
    }
}
