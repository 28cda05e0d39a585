//! Block trades (`GetBlockTradeProposals`, `ProposeBlockTrade`, `AcceptBlockTradeProposal`):
//! two known counterparties agree a size and price off the book. Either party proposes
//! (naming both by Kalshi user id, each with an optional subaccount) and so accepts its own
//! side; the other party accepts, and the trade executes at once between the two: the
//! buyer buys YES at the price, the seller buys NO at $1 − price, the `maker_side` party is
//! the maker (the other pays the taker fee). A proposal expires at its `expiration_ts`.
//!
//! Statuses: `pending`, `executed`, `expired`, `failed` (the engine refused the trade, e.g.
//! a balance gone meanwhile). A party sees the other's user id blanked, as the spec says.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use shared::api::schema::{
    BlockTradeProposal, GetBlockTradeProposalsResponse, ProposeBlockTradeRequest,
    ProposeBlockTradeResponse,
};
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::rest::API_PREFIX;

use super::auth::Caller;
use super::engine::{AccountId, Engine, OrderError};
use super::error::{Result, SimError};
use super::wire::rfc3339_ms;
use super::{now_ms, Sim};

/// One proposal.
#[derive(Clone, Debug)]
pub struct Proposal {
    id: String,
    proposer: AccountId,
    /// The buyer's and seller's accounts (their subaccount, when one was named).
    buyer: AccountId,
    seller: AccountId,
    ticker: MarketTicker,
    price: Dollars,
    count: Count,
    maker_side: Side,
    expires_ms: i64,
    status: &'static str,
    created_ms: i64,
    updated_ms: i64,
    buyer_accepted_ms: Option<i64>,
    seller_accepted_ms: Option<i64>,
    executed_ms: Option<i64>,
    buyer_order_id: Option<String>,
    seller_order_id: Option<String>,
}

/// Every proposal, by id.
#[derive(Debug, Default)]
pub struct BlockBook {
    proposals: BTreeMap<String, Proposal>,
}

impl BlockBook {
    /// A digest of every proposal (see `Engine::digest`).
    pub fn digest(&self) -> String {
        format!("{:?}", self.proposals)
    }

    /// Marks pending proposals past their expiry.
    fn expire(&mut self, now: i64) {
        for p in self.proposals.values_mut() {
            if p.status == "pending" && p.expires_ms <= now {
                p.status = "expired";
                p.updated_ms = now;
            }
        }
    }

    /// ProposeBlockTrade.
    fn propose(
        &mut self,
        engine: &Engine,
        caller: AccountId,
        req: &ProposeBlockTradeRequest,
        now: i64,
    ) -> Result<String> {
        let bad = |m: &str| SimError::BadRequest(m.to_owned());
        let party = |user: &str, sub: Option<i64>| -> Result<AccountId> {
            let root = engine
                .account_of_user(user)
                .ok_or_else(|| bad("unknown user id"))?;
            engine
                .resolve_subaccount(root, sub)
                .map_err(SimError::Order)
        };
        if req.buyer_subtrader_id.is_some() || req.seller_subtrader_id.is_some() {
            return Err(bad("subtraders are FCM-only; name subaccounts instead"));
        }
        let buyer = party(&req.buyer_user_id, req.buyer_subaccount)?;
        let seller = party(&req.seller_user_id, req.seller_subaccount)?;
        let root = engine.root(caller);
        if engine.root(buyer) != root && engine.root(seller) != root {
            return Err(bad("the proposer must be the buyer or the seller"));
        }
        if engine.root(buyer) == engine.root(seller) {
            return Err(bad("the buyer and the seller must be different users"));
        }
        let market = engine
            .market(&req.market_ticker)
            .ok_or_else(|| bad("unknown market"))?;
        if !market.info.status.is_tradable() {
            return Err(SimError::Order(OrderError::MarketClosed(
                req.market_ticker.clone(),
            )));
        }
        if engine.trading_pause().is_some() {
            return Err(SimError::Order(OrderError::TradingPaused));
        }
        // Centi-cents: $0.0001 each; a price strictly inside (0, 1).
        let price = Dollars::from_ten_thousandths(req.price_centi_cents);
        if !(1..10_000).contains(&req.price_centi_cents) || !price.is_valid_price() {
            return Err(bad("price_centi_cents must be between 1 and 9999"));
        }
        if req.centicount < 1 || req.centicount > 100_000_000 {
            return Err(bad("centicount must be between 1 and 100000000"));
        }
        let maker_side = req
            .maker_side
            .ok_or_else(|| bad("maker_side is yes or no"))?;
        let expires = time::OffsetDateTime::parse(
            &req.expiration_ts,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| bad("expiration_ts must be RFC 3339"))?;
        let expires_ms = i64::try_from(expires.unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| bad("expiration_ts out of range"))?;
        if expires_ms <= now {
            return Err(bad("expiration_ts is in the past"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let proposer_buys = engine.root(buyer) == root;
        self.proposals.insert(
            id.clone(),
            Proposal {
                id: id.clone(),
                proposer: root,
                buyer,
                seller,
                ticker: req.market_ticker.clone(),
                price,
                count: Count::from_raw(req.centicount),
                maker_side,
                expires_ms,
                status: "pending",
                created_ms: now,
                updated_ms: now,
                buyer_accepted_ms: proposer_buys.then_some(now),
                seller_accepted_ms: (!proposer_buys).then_some(now),
                executed_ms: None,
                buyer_order_id: None,
                seller_order_id: None,
            },
        );
        Ok(id)
    }

    /// AcceptBlockTradeProposal: the other party accepts, and the trade executes.
    fn accept(&mut self, engine: &mut Engine, caller: AccountId, id: &str, now: i64) -> Result<()> {
        self.expire(now);
        let root = engine.root(caller);
        let p = self
            .proposals
            .get_mut(id)
            .filter(|p| engine.root(p.buyer) == root || engine.root(p.seller) == root)
            .ok_or_else(|| SimError::NotFound(format!("block trade proposal {id} not found")))?;
        if p.status != "pending" {
            return Err(SimError::BadRequest(format!(
                "the proposal is {}, not pending",
                p.status
            )));
        }
        if engine.root(p.buyer) == root {
            p.buyer_accepted_ms.get_or_insert(now);
        } else {
            p.seller_accepted_ms.get_or_insert(now);
        }
        p.updated_ms = now;
        if p.buyer_accepted_ms.is_none() || p.seller_accepted_ms.is_none() {
            return Ok(());
        }
        // Both agreed: the buyer takes YES, the seller NO; `maker_side` names the maker.
        let (taker, taker_side, maker) = match p.maker_side {
            Side::Yes => (p.seller, Side::No, p.buyer),
            Side::No => (p.buyer, Side::Yes, p.seller),
        };
        match engine.block_trade(taker, taker_side, maker, &p.ticker, p.price, p.count, now) {
            Ok((taker_fill, maker_fill)) => {
                let (buyer_fill, seller_fill) = if taker == p.buyer {
                    (taker_fill, maker_fill)
                } else {
                    (maker_fill, taker_fill)
                };
                p.status = "executed";
                p.executed_ms = Some(now);
                p.buyer_order_id = Some(buyer_fill.order_id.0);
                p.seller_order_id = Some(seller_fill.order_id.0);
                Ok(())
            }
            Err(e) => {
                p.status = "failed";
                Err(SimError::Order(e))
            }
        }
    }

    /// The proposal as `caller`'s user sees it (the other party's user id blanked).
    fn view(&self, engine: &Engine, p: &Proposal, caller: AccountId) -> BlockTradeProposal {
        let root = engine.root(caller);
        let user = |a: AccountId| {
            engine
                .account(engine.root(a))
                .map(|acc| acc.user_id.clone())
                .unwrap_or_default()
        };
        let mine = |a: AccountId| engine.root(a) == root;
        BlockTradeProposal {
            id: p.id.clone(),
            proposer_user_id: user(p.proposer),
            buyer_user_id: if mine(p.buyer) {
                user(p.buyer)
            } else {
                String::new()
            },
            buyer_subtrader_id: None,
            seller_user_id: if mine(p.seller) {
                user(p.seller)
            } else {
                String::new()
            },
            seller_subtrader_id: None,
            market_ticker: p.ticker.clone(),
            price_centi_cents: p.price.raw() / Dollars::from_ten_thousandths(1).raw(),
            centicount: p.count.raw(),
            maker_side: Some(p.maker_side),
            expiration_ts: rfc3339_ms(p.expires_ms),
            status: p.status.to_owned(),
            created_ts: rfc3339_ms(p.created_ms),
            updated_ts: rfc3339_ms(p.updated_ms),
            buyer_accepted: p.buyer_accepted_ms.is_some(),
            seller_accepted: p.seller_accepted_ms.is_some(),
            buyer_accepted_ts: p.buyer_accepted_ms.map(rfc3339_ms),
            seller_accepted_ts: p.seller_accepted_ms.map(rfc3339_ms),
            executed_ts: p.executed_ms.map(rfc3339_ms),
            buyer_order_id: if mine(p.buyer) {
                p.buyer_order_id.clone()
            } else {
                None
            },
            seller_order_id: if mine(p.seller) {
                p.seller_order_id.clone()
            } else {
                None
            },
        }
    }
}

/// The routes, under `/trade-api/v2/communications/block-trade-proposals`.
pub(crate) fn routes() -> Router<Sim> {
    let p = |path: &str| format!("{API_PREFIX}/communications/block-trade-proposals{path}");
    Router::new()
        .route(&p(""), get(list).post(propose))
        .route(&p("/{block_trade_proposal_id}/accept"), post(accept))
}

use super::rest::{page_limit, KalshiQuery};

/// `GET …/block-trade-proposals` (GetBlockTradeProposals): the caller's (as buyer or seller),
/// newest first; `market_ticker`, `status`, `limit` (1–100), `cursor` (the last id).
async fn list(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    KalshiQuery(q): KalshiQuery<shared::api::ops::GetBlockTradeProposalsQuery>,
) -> Result<Json<GetBlockTradeProposalsResponse>> {
    let limit = page_limit(q.limit, 100, 100)?;
    let (market, status, cursor) = (q.market_ticker, q.status, q.cursor);
    let now = now_ms();
    let mut core = sim.lock();
    let core = &mut *core;
    core.blocks.expire(now);
    let root = core.engine.root(caller.0);
    let mut mine: Vec<&Proposal> = core
        .blocks
        .proposals
        .values()
        .filter(|x| core.engine.root(x.buyer) == root || core.engine.root(x.seller) == root)
        .filter(|x| {
            market
                .as_ref()
                .is_none_or(|m| m.as_str() == x.ticker.as_str())
        })
        .filter(|x| status.as_deref().is_none_or(|s| s == x.status))
        .collect();
    mine.sort_by(|a, b| (b.created_ms, &b.id).cmp(&(a.created_ms, &a.id)));
    if let Some(c) = cursor {
        if let Some(i) = mine.iter().position(|x| x.id == c) {
            mine.drain(..=i);
        }
    }
    let more = mine.len() > limit;
    mine.truncate(limit);
    let cursor = match (more, mine.last()) {
        (true, Some(last)) => Some(last.id.clone()),
        _ => Some(String::new()),
    };
    Ok(Json(GetBlockTradeProposalsResponse {
        block_trade_proposals: mine
            .into_iter()
            .map(|x| core.blocks.view(&core.engine, x, caller.0))
            .collect(),
        cursor,
    }))
}

/// `POST …/block-trade-proposals` (ProposeBlockTrade) → `201`.
async fn propose(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: ProposeBlockTradeRequest = serde_json::from_slice(&bytes)
        .map_err(|e| SimError::BadRequest(format!("invalid block trade body: {e}")))?;
    let now = now_ms();
    let id = {
        let mut core = sim.lock();
        let core = &mut *core;
        core.blocks.propose(&core.engine, caller.0, &req, now)?
    };
    Ok((
        StatusCode::CREATED,
        Json(ProposeBlockTradeResponse {
            block_trade_proposal_id: id,
        }),
    ))
}

/// `POST …/{id}/accept` (AcceptBlockTradeProposal) → `204`.
async fn accept(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let now = now_ms();
    let mut core = sim.lock();
    let result = {
        let core = &mut *core;
        core.blocks.accept(&mut core.engine, caller.0, &id, now)
    };
    core.publish(now);
    result.map(|()| StatusCode::NO_CONTENT)
}
