//! Building blocks of the desk page.

pub mod admin;
pub mod alerts;
pub mod charts;
pub mod event_board;
pub mod groups;
pub mod ladder;
pub mod layout;
pub mod load_status;
pub mod market_list;
pub mod market_view;
pub mod orders;
pub mod pnl;
pub mod portfolio;
pub mod rfq;
pub mod rfq_desk;
pub mod shortcuts;
pub mod subaccounts;
pub mod ticket;
pub mod toasts;
pub mod top_bar;
pub mod watch_grid;
pub mod watchlist;
pub mod windowed;
