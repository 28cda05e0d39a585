//! `/api/rfq*`, `/api/rfqs*`, `/api/quotes*`: the RFQ desk. Each route maps to specific
//! Kalshi communications operations (never a proxy); ids are checked before signing.

use super::error::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use shared::api::ops::{
    AcceptRFQQuote, AcceptRFQQuotePath, ConfirmRFQQuote, ConfirmRFQQuotePath, CreateQuote,
    CreateRFQ, DeleteQuote, DeleteQuotePath, DeleteRFQ, DeleteRFQPath, GetCommunicationsID,
    GetQuote, GetQuotePath, GetQuotes, GetQuotesQuery, GetRFQ, GetRFQPath, GetRFQs, GetRFQsQuery,
};
use shared::api::schema::{
    AcceptQuoteRequest, CreateQuoteRequest, CreateRFQRequest, EmptyResponse, UserFilter,
};
use shared::api::{NoPath, NoQuery};
use shared::num::Dollars;
use shared::rfq::{
    AcceptQuote, BookTop, ConfirmQuote, Created, NewQuote, NewRfq, RfqDeskView, Rule, RuleLogEntry,
    RuleSet,
};

use shared::ids::Side;

use super::auth::{Acting, CurrentUser};
use super::markets::checked_ticker;
use super::{AppState, Error, Result};
use crate::rfq::rules::RfqRules;
use crate::team::limits;
use crate::team::store::Store;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/rfq", get(desk))
        .route("/rfq/rules", get(get_rules).put(put_rules))
        .route("/rfq/log", get(log))
        .route("/rfq/book/{ticker}", get(book_top))
        .route("/rfqs", post(create_rfq))
        .route("/rfqs/{rfq_id}", delete(delete_rfq))
        .route("/quotes", post(create_quote))
        .route("/quotes/{quote_id}", delete(delete_quote))
        .route("/quotes/{quote_id}/accept", post(accept))
        .route("/quotes/{quote_id}/confirm", post(confirm))
}

/// A Kalshi UUID-ish id: 1–64 of `[A-Za-z0-9-]`.
fn checked_id(id: &str, what: &'static str) -> Result<String> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::bad_request(
            "bad_id",
            format!("not a valid {what} id"),
        ));
    }
    Ok(id.to_owned())
}

/// `GET /api/rfq`: our communications id, open RFQs (everyone's, and ours), our quotes and
/// quotes on our RFQs.
async fn desk(Acting(kalshi): Acting) -> Result<Json<RfqDeskView>> {
    let id = kalshi
        .send::<GetCommunicationsID>(&NoPath, &NoQuery {}, None)
        .await?;
    let mut rfqs = Vec::new();
    let open = GetRFQsQuery {
        status: Some("open".into()),
        limit: Some(100),
        ..GetRFQsQuery::default()
    };
    for page in kalshi.send_all_pages::<GetRFQs>(&NoPath, open, 5).await? {
        rfqs.extend(page.rfqs);
    }
    let mine = GetRFQsQuery {
        user_filter: Some(UserFilter::SelfV),
        limit: Some(100),
        ..GetRFQsQuery::default()
    };
    for page in kalshi.send_all_pages::<GetRFQs>(&NoPath, mine, 2).await? {
        for r in page.rfqs {
            if !rfqs.iter().any(|o| o.id == r.id) {
                rfqs.push(r);
            }
        }
    }
    let mut quotes = Vec::new();
    for filter in [
        GetQuotesQuery {
            user_filter: Some(UserFilter::SelfV),
            limit: Some(200),
            ..GetQuotesQuery::default()
        },
        GetQuotesQuery {
            rfq_user_filter: Some(UserFilter::SelfV),
            limit: Some(200),
            ..GetQuotesQuery::default()
        },
    ] {
        for page in kalshi
            .send_all_pages::<GetQuotes>(&NoPath, filter, 2)
            .await?
        {
            for q in page.quotes {
                if !quotes
                    .iter()
                    .any(|o: &shared::api::schema::Quote| o.id == q.id)
                {
                    quotes.push(q);
                }
            }
        }
    }
    Ok(Json(RfqDeskView {
        communications_id: id.communications_id,
        rfqs,
        quotes,
    }))
}

async fn get_rules(State(rules): State<RfqRules>) -> Json<RuleSet> {
    Json(rules.rules())
}

/// `PUT /api/rfq/rules`: replaces the rule set (validated: non-negative limits, spreads
/// under $1, unique ids) and answers it with owners.
///
/// Owners: a new rule is owned by whoever saves it (an admin may name another user with
/// the RFQ role); a saved rule keeps its owner. Only its owner or an admin may change or
/// remove a rule (403 `not_your_rule`, audited). Every accepted change is audited as
/// `SetRfqRules` with the whole rule set.
async fn put_rules(
    State(rules): State<RfqRules>,
    State(store): State<Store>,
    user: CurrentUser,
    Body(mut set): Body<RuleSet>,
) -> Result<Json<RuleSet>> {
    let mut ids = std::collections::BTreeSet::new();
    for r in &set.rules {
        if !ids.insert(r.id) {
            return Err(Error::bad_request(
                "bad_rule",
                format!("rule id {} used twice", r.id),
            ));
        }
        if r.scope.trim().is_empty() || r.scope.len() > 100 {
            return Err(Error::bad_request(
                "bad_rule",
                "a rule needs a market, series or *",
            ));
        }
        if let Some(q) = &r.auto_quote {
            if q.spread.is_negative() || q.spread >= Dollars::ONE || q.max_contracts.is_negative() {
                return Err(Error::bad_request(
                    "bad_rule",
                    "spread must be in [$0, $1) and the size cap non-negative",
                ));
            }
        }
        if let Some(c) = &r.auto_confirm {
            if c.max_position.is_negative()
                || c.max_notional.is_negative()
                || c.daily_loss_limit.is_negative()
            {
                return Err(Error::bad_request(
                    "bad_rule",
                    "limits must not be negative",
                ));
            }
        }
    }
    let me = user.user.username.clone();
    let admin = user.user.role.permissions().admin;
    let current = rules.rules();
    let refuse = |message: String| {
        let store = store.clone();
        let me = me.clone();
        async move {
            store
                .audit_refused(&me, "PUT /api/rfq/rules", 403, &message)
                .await?;
            Err::<Json<RuleSet>, Error>(Error::forbidden("not_your_rule", message))
        }
    };
    for old in &current.rules {
        let owner = old.owner.as_deref().unwrap_or(me.as_str());
        if admin || owner == me {
            continue;
        }
        let unchanged = set.rules.iter().find(|r| r.id == old.id).is_some_and(|r| {
            Rule {
                owner: old.owner.clone(),
                ..r.clone()
            } == *old
        });
        if !unchanged {
            return refuse(format!(
                "rule {} belongs to {owner}; only its owner or an admin may change or remove it",
                old.id
            ))
            .await;
        }
    }
    for r in &mut set.rules {
        let saved = current.rules.iter().find(|c| c.id == r.id);
        let owner = match (saved.and_then(|c| c.owner.clone()), r.owner.take()) {
            (_, Some(named)) if admin => named,
            (Some(kept), _) => kept,
            (None, _) => me.clone(),
        };
        let may_quote = store
            .user_with_hash(&owner)
            .await?
            .is_some_and(|(u, _)| u.role.permissions().rfq);
        if !may_quote {
            return Err(Error::bad_request(
                "bad_rule",
                format!(
                    "rule {}: owner {owner} is not a user with the RFQ role",
                    r.id
                ),
            ));
        }
        r.owner = Some(owner);
    }
    super::audit::audited(
        &store,
        &me,
        "SetRfqRules",
        ("PUT", "/api/rfq/rules"),
        &serde_json::to_value(&set).unwrap_or_default(),
        async {
            rules.save(set.clone(), &user.user.username).await?;
            Ok(set)
        },
    )
    .await
    .map(Json)
}

/// `GET /api/rfq/book/{ticker}`: best bid, implied ask and mid (GetMarketOrderbook).
async fn book_top(Acting(kalshi): Acting, Path(ticker): Path<String>) -> Result<Json<BookTop>> {
    let ticker = checked_ticker(ticker)?;
    let book = kalshi.orderbook(&ticker).await?;
    let (yes, no) = book
        .orderbook_fp
        .map(|b| (b.yes_dollars, b.no_dollars))
        .unwrap_or_default();
    Ok(Json(BookTop {
        yes_bid: yes.last().map(|(p, _)| *p),
        yes_ask: no.last().map(|(p, _)| p.complement()),
        mid: crate::rfq::rules::mid(&yes, &no),
        market_ticker: ticker,
    }))
}

async fn log(State(rules): State<RfqRules>) -> Json<Vec<RuleLogEntry>> {
    Json(rules.log())
}

/// `POST /api/rfqs` (CreateRFQ) → 201 `{id}`.
async fn create_rfq(
    Acting(kalshi): Acting,
    Body(new): Body<NewRfq>,
) -> Result<(StatusCode, Json<Created>)> {
    let ticker = checked_ticker(new.market_ticker.0.clone())?;
    if new.contracts.raw() <= 0 {
        return Err(Error::bad_request(
            "invalid_count",
            "contracts must be more than zero",
        ));
    }
    let req = CreateRFQRequest {
        market_ticker: ticker,
        contracts_fp: Some(new.contracts),
        ..CreateRFQRequest::default()
    };
    tracing::info!(operation = "CreateRFQ", market = %req.market_ticker, "creating RFQ");
    let r = kalshi
        .send::<CreateRFQ>(&NoPath, &NoQuery {}, Some(&req))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: r.id })))
}

async fn delete_rfq(Acting(kalshi): Acting, Path(id): Path<String>) -> Result<StatusCode> {
    let rfq_id = checked_id(&id, "RFQ")?;
    kalshi
        .send::<DeleteRFQ>(&DeleteRFQPath { rfq_id }, &NoQuery {}, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/quotes` (CreateQuote) → 201 `{id}`. Bids must be in [$0, $1) and sum to at
/// most $1 (the exchange checks too).
async fn create_quote(
    Acting(kalshi): Acting,
    State(hub): State<crate::live::hub::Hub>,
    State(store): State<crate::team::store::Store>,
    State(gate): State<limits::Gate>,
    user: CurrentUser,
    Body(new): Body<NewQuote>,
) -> Result<(StatusCode, Json<Created>)> {
    let rfq_id = checked_id(&new.rfq_id, "RFQ")?;
    for p in [new.yes_bid, new.no_bid] {
        if p.is_negative() || p >= Dollars::ONE {
            return Err(Error::bad_request(
                "invalid_price",
                "bids must be between $0 and $0.99",
            ));
        }
    }
    // The maker's limits hold for either side the requester may accept: accepted YES, the
    // maker buys NO at its NO bid; accepted NO, it buys YES at its YES bid.
    // Held until Kalshi answers: the market's turn (see `crate::team::limits`).
    let _turn = check_quote_limits(
        &store,
        &kalshi,
        hub.exposure(),
        &gate,
        &user,
        &rfq_id,
        (new.yes_bid, new.no_bid),
    )
    .await?;
    let req = CreateQuoteRequest {
        rfq_id,
        yes_bid: new.yes_bid,
        no_bid: new.no_bid,
        ..CreateQuoteRequest::default()
    };
    tracing::info!(operation = "CreateQuote", rfq = %req.rfq_id, "quoting");
    let r = kalshi
        .send::<CreateQuote>(&NoPath, &NoQuery {}, Some(&req))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: r.id })))
}

/// The maker's limits for a quote on `rfq_id`, for either side the requester may accept:
/// accepted YES, the maker buys NO at `no_bid`; accepted NO, it buys YES at `yes_bid`
/// (`bids` is `(yes_bid, no_bid)`, dollars)
/// (the RFQ's market and size come from GetRFQ). 403 `over_limit` when either breaks them.
async fn check_quote_limits(
    store: &crate::team::store::Store,
    kalshi: &crate::kalshi::client::KalshiClient,
    book: &crate::live::exposure::ExposureBook,
    gate: &limits::Gate,
    user: &CurrentUser,
    rfq_id: &str,
    (yes_bid, no_bid): (Dollars, Dollars),
) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>> {
    let rfq = kalshi
        .send::<GetRFQ>(
            &GetRFQPath {
                rfq_id: rfq_id.to_owned(),
            },
            &NoQuery {},
            None,
        )
        .await?
        .rfq;
    let count = rfq.contracts_fp;
    let deltas = limits::quote_deltas(yes_bid, no_bid, count);
    if deltas.is_empty() {
        limits::ensure_not_halted(store, &user.user, "POST /api/quotes").await?;
        return Ok(None);
    }
    let turn = gate.market(&rfq.market_ticker).await;
    limits::check(
        store,
        kalshi,
        book,
        &user.user,
        limits::Check {
            operation: "POST /api/quotes",
            ticker: &rfq.market_ticker,
            price: yes_bid.max(no_bid),
            count,
            deltas: &deltas,
            subaccount: None,
            replaces: None,
        },
    )
    .await?;
    Ok(Some(turn))
}

async fn delete_quote(Acting(kalshi): Acting, Path(id): Path<String>) -> Result<StatusCode> {
    let quote_id = checked_id(&id, "quote")?;
    kalshi
        .send::<DeleteQuote>(&DeleteQuotePath { quote_id }, &NoQuery {}, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/quotes/{id}/accept` (AcceptRFQQuote) with `{rfq_id, side}`.
async fn accept(
    Acting(kalshi): Acting,
    State(hub): State<crate::live::hub::Hub>,
    State(store): State<crate::team::store::Store>,
    State(gate): State<limits::Gate>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(a): Body<AcceptQuote>,
) -> Result<StatusCode> {
    let path = AcceptRFQQuotePath {
        rfq_id: checked_id(&a.rfq_id, "RFQ")?,
        quote_id: checked_id(&id, "quote")?,
    };
    let _turn = check_accept_limits(
        &store,
        &kalshi,
        hub.exposure(),
        &gate,
        &user,
        &path.quote_id,
        a.side,
    )
    .await?;
    tracing::info!(operation = "AcceptRFQQuote", quote = %path.quote_id, side = ?a.side, "accepting quote");
    kalshi
        .send::<AcceptRFQQuote>(
            &path,
            &NoQuery {},
            Some(&AcceptQuoteRequest {
                accepted_side: Some(a.side),
            }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The requester's limits for accepting `quote_id` on `side`: accepting YES buys YES at
/// 1 − the NO bid, accepting NO buys NO at 1 − the YES bid, the RFQ's size (from GetQuote).
/// 403 `over_limit` when that breaks them.
async fn check_accept_limits(
    store: &crate::team::store::Store,
    kalshi: &crate::kalshi::client::KalshiClient,
    book: &crate::live::exposure::ExposureBook,
    gate: &limits::Gate,
    user: &CurrentUser,
    quote_id: &str,
    side: Side,
) -> Result<tokio::sync::OwnedMutexGuard<()>> {
    let quote = kalshi
        .send::<GetQuote>(
            &GetQuotePath {
                quote_id: quote_id.to_owned(),
            },
            &NoQuery {},
            None,
        )
        .await?
        .quote;
    let count = quote.contracts_fp;
    let (price, delta) = match side {
        Side::Yes => (quote.no_bid_dollars.complement(), count.raw()),
        Side::No => (quote.yes_bid_dollars.complement(), -count.raw()),
    };
    let turn = gate.market(&quote.market_ticker).await;
    limits::check(
        store,
        kalshi,
        book,
        &user.user,
        limits::Check {
            operation: "POST /api/quotes/accept",
            ticker: &quote.market_ticker,
            price,
            count,
            deltas: &[delta],
            subaccount: None,
            replaces: None,
        },
    )
    .await?;
    Ok(turn)
}

/// `POST /api/quotes/{id}/confirm` (ConfirmRFQQuote) with `{rfq_id}`.
async fn confirm(
    Acting(kalshi): Acting,
    State(store): State<Store>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(c): Body<ConfirmQuote>,
) -> Result<StatusCode> {
    limits::ensure_not_halted(&store, &user.user, "POST /api/quotes/{id}/confirm").await?;
    let path = ConfirmRFQQuotePath {
        rfq_id: checked_id(&c.rfq_id, "RFQ")?,
        quote_id: checked_id(&id, "quote")?,
    };
    tracing::info!(operation = "ConfirmRFQQuote", quote = %path.quote_id, "confirming quote");
    kalshi
        .send::<ConfirmRFQQuote>(&path, &NoQuery {}, Some(&EmptyResponse::default()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
