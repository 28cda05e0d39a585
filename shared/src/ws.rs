//! Kalshi WebSocket API: commands we send, and every frame we receive.
//!
//! Source: `kalshi-asyncapi.yaml` (server `wss://external-api-ws.kalshi.com/trade-api/ws/v2`).
//! Incoming frames are one internally tagged enum, [`ServerFrame`], keyed by `type`;
//! [`decode`] adds the two things serde cannot: unknown `type`s keep their raw JSON, and a
//! frame whose body is malformed still yields its `sid`/`seq` so sequencing never breaks.
//!
//! Raw examples:
//! ```json
//! {"id":1,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_tickers":["KXBTCD-26MAY2008-T77299.99"]}}
//! {"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":1}}
//! {"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"KXBTCD-26MAY2008-T77299.99","market_id":"…","price_dollars":"0.4500","delta_fp":"-10.00","side":"yes","ts_ms":1779278084819}}
//! ```
//!
//! Layout: `command` (what we send), `frame` (the envelope and control frames), `market`
//! (public market data), `account` (private messages), `decode` (reading a frame). Every
//! type is re-exported here, so paths are `shared::ws::X`.

mod account;
mod command;
mod decode;
mod frame;
mod market;

pub use self::account::*;
pub use self::command::*;
pub use self::decode::*;
pub use self::frame::*;
pub use self::market::*;
pub use crate::ws_msg::*;
