//! The matching engine's unit tests: the matching table, priority, refusals, netting,
//! amend and decrease.

use super::*;
use shared::api::schema::{AmendOrderV2Request, DecreaseOrderV2Request, MarketStatus};
use shared::rest::PriceRange;
use shared::rest::{CreateOrderV2Request, TimeInForce};

fn d(s: &str) -> Dollars {
    s.parse().unwrap()
}
fn c(s: &str) -> Count {
    s.parse().unwrap()
}
const T: &str = "KXTEST-1";
const NOW: i64 = 1_780_000_000_000;

fn seed(ticker: &str, step: &str) -> MarketSeed {
    let market: Market = serde_json::from_value(serde_json::json!({
        "ticker": ticker, "event_ticker": "KXTEST", "status": "active",
    }))
    .unwrap();
    let mut market = market;
    market.status = MarketStatus::Active;
    market.price_ranges = vec![PriceRange {
        start: Dollars::ZERO,
        end: Dollars::ONE,
        step: d(step),
    }];
    MarketSeed {
        market,
        series: "KXTEST".into(),
        tick: d(step),
        fair: None,
        thin: false,
    }
}

pub(super) struct Fx {
    pub(super) e: Engine,
    pub(super) alice: AccountId,
    pub(super) bob: AccountId,
    pub(super) crowd: AccountId,
}

pub(super) fn fx() -> Fx {
    let mut e = Engine::new(&[seed(T, "0.01"), seed("KXTEST-DECI", "0.001")]);
    let alice = e.add_account(
        AccountKind::Registered,
        Some("alice".into()),
        Dollars::from_int(100),
    );
    let bob = e.add_account(
        AccountKind::Registered,
        Some("bob".into()),
        Dollars::from_int(100),
    );
    let crowd = e.add_account(AccountKind::Participant, None, Dollars::ZERO);
    Fx {
        e,
        alice,
        bob,
        crowd,
    }
}

pub(super) fn req(side: BookSide, price: &str, count: &str) -> CreateOrderV2Request {
    CreateOrderV2Request {
        ticker: T.into(),
        client_order_id: Some(format!("c-{price}-{count}")),
        side,
        count: c(count),
        price: d(price),
        time_in_force: TimeInForce::GoodTillCanceled,
        self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
        expiration_time: None,
        post_only: None,
        reduce_only: None,
        cancel_order_on_pause: None,
        subaccount: None,
        order_group_id: None,
    }
}
fn ioc(mut r: CreateOrderV2Request) -> CreateOrderV2Request {
    r.time_in_force = TimeInForce::ImmediateOrCancel;
    r
}

fn levels(e: &Engine) -> BookLevels {
    e.levels(&T.into()).unwrap()
}

#[test]
fn fee_formula_is_exact_and_rounds_up_to_the_cent() {
    let table = [
        ("100", "0.50", "1.75"),
        ("1", "0.50", "0.02"),
        ("10", "0.10", "0.07"),
        ("0.01", "0.99", "0.01"),
        ("500", "0.37", "8.16"),
    ];
    for (count, price, fee) in table {
        assert_eq!(taker_fee(c(count), d(price)), d(fee), "{count} @ {price}");
    }
}

#[test]
fn resting_orders_build_two_ladders() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Bid, "0.40", "10"), NOW)
        .unwrap();
    f.e.place(f.crowd, &req(BookSide::Ask, "0.45", "5"), NOW)
        .unwrap();
    let l = levels(&f.e);
    assert_eq!(l.yes, vec![(d("0.40"), c("10"))]);
    assert_eq!(
        l.no,
        vec![(d("0.55"), c("5"))],
        "an ask at YES 0.45 is a NO bid at 0.55"
    );
}

#[test]
fn matching_table() {
    struct Case {
        name: &'static str,
        resting: Vec<(BookSide, &'static str, &'static str)>,
        taker: CreateOrderV2Request,
        fill: &'static str,
        remaining: &'static str,
        avg: Option<&'static str>,
        yes_after: Vec<(&'static str, &'static str)>,
        no_after: Vec<(&'static str, &'static str)>,
    }
    let cases = vec![
        Case {
            name: "no cross rests",
            resting: vec![(BookSide::Ask, "0.50", "10")],
            taker: req(BookSide::Bid, "0.49", "5"),
            fill: "0.00",
            remaining: "5.00",
            avg: None,
            yes_after: vec![("0.49", "5")],
            no_after: vec![("0.50", "10")],
        },
        Case {
            name: "full cross at the maker's price",
            resting: vec![(BookSide::Ask, "0.50", "10")],
            taker: req(BookSide::Bid, "0.55", "4"),
            fill: "4.00",
            remaining: "0.00",
            avg: Some("0.50"),
            yes_after: vec![],
            no_after: vec![("0.50", "6")],
        },
        Case {
            name: "partial fill then rest",
            resting: vec![(BookSide::Ask, "0.50", "3")],
            taker: req(BookSide::Bid, "0.50", "5"),
            fill: "3.00",
            remaining: "2.00",
            avg: Some("0.50"),
            yes_after: vec![("0.50", "2")],
            no_after: vec![],
        },
        Case {
            name: "walks levels best first",
            resting: vec![
                (BookSide::Ask, "0.52", "2"),
                (BookSide::Ask, "0.50", "2"),
                (BookSide::Ask, "0.51", "2"),
            ],
            taker: req(BookSide::Bid, "0.51", "5"),
            fill: "4.00",
            remaining: "1.00",
            avg: Some("0.505"),
            yes_after: vec![("0.51", "1")],
            no_after: vec![("0.48", "2")],
        },
        Case {
            name: "ask crosses yes bids",
            resting: vec![
                (BookSide::Bid, "0.60", "1.5"),
                (BookSide::Bid, "0.58", "10"),
            ],
            taker: ioc(req(BookSide::Ask, "0.59", "5")),
            fill: "1.50",
            remaining: "0.00",
            avg: Some("0.60"),
            yes_after: vec![("0.58", "10")],
            no_after: vec![],
        },
        Case {
            name: "IOC remainder is cancelled",
            resting: vec![(BookSide::Ask, "0.50", "3")],
            taker: ioc(req(BookSide::Bid, "0.60", "5")),
            fill: "3.00",
            remaining: "0.00",
            avg: Some("0.50"),
            yes_after: vec![],
            no_after: vec![],
        },
        Case {
            name: "FOK without enough liquidity does nothing",
            resting: vec![(BookSide::Ask, "0.50", "3")],
            taker: {
                let mut r = req(BookSide::Bid, "0.60", "5");
                r.time_in_force = TimeInForce::FillOrKill;
                r
            },
            fill: "0.00",
            remaining: "0.00",
            avg: None,
            yes_after: vec![],
            no_after: vec![("0.50", "3")],
        },
    ];
    for case in cases {
        let mut f = fx();
        for (side, p, n) in &case.resting {
            f.e.place(f.crowd, &req(*side, p, n), NOW).unwrap();
        }
        let r = f.e.place(f.alice, &case.taker, NOW).unwrap();
        assert_eq!(r.fill_count.to_string(), case.fill, "{}", case.name);
        assert_eq!(
            r.remaining_count.to_string(),
            case.remaining,
            "{}",
            case.name
        );
        assert_eq!(r.average_fill_price, case.avg.map(d), "{}", case.name);
        let l = levels(&f.e);
        let want = |v: &Vec<(&str, &str)>| v.iter().map(|(p, n)| (d(p), c(n))).collect::<Vec<_>>();
        assert_eq!(l.yes, want(&case.yes_after), "{} yes", case.name);
        assert_eq!(l.no, want(&case.no_after), "{} no", case.name);
    }
}

#[test]
fn price_time_priority_fills_the_oldest_order_first() {
    let mut f = fx();
    let first =
        f.e.place(f.bob, &req(BookSide::Ask, "0.50", "2"), NOW)
            .unwrap();
    let second =
        f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "2"), NOW + 1)
            .unwrap();
    f.e.place(f.alice, &req(BookSide::Bid, "0.50", "3"), NOW + 2)
        .unwrap();
    assert_eq!(
        f.e.order_by_id(&first.order_id).unwrap().status,
        OrderStatus::Executed
    );
    let second = f.e.order_by_id(&second.order_id).unwrap();
    assert_eq!(second.remaining, c("1"));
    let bob_fills = &f.e.account(f.bob).unwrap().fills;
    assert_eq!(bob_fills.len(), 1);
    assert!(!bob_fills[0].msg.is_taker);
    assert_eq!(bob_fills[0].msg.outcome_side, Some(Side::No));
    assert_eq!(
        bob_fills[0].msg.fee_cost,
        Some(Dollars::ZERO),
        "makers pay no fee"
    );
    let alice_fills = &f.e.account(f.alice).unwrap().fills;
    assert_eq!(alice_fills.len(), 2);
    assert!(alice_fills
        .iter()
        .all(|x| x.msg.is_taker && x.msg.yes_price_dollars == d("0.50")));
}

#[test]
fn post_only_refuses_to_cross() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "10"), NOW)
        .unwrap();
    let mut r = req(BookSide::Bid, "0.50", "1");
    r.post_only = Some(true);
    assert_eq!(f.e.place(f.alice, &r, NOW), Err(OrderError::PostOnlyCross));
    r.price = d("0.49");
    assert!(f.e.place(f.alice, &r, NOW).is_ok());
    assert_eq!(
        f.e.account(f.alice).unwrap().orders_received,
        1,
        "refused orders are not counted"
    );
}

#[test]
fn validation_refusals() {
    let mut f = fx();
    let mut bad_tick = req(BookSide::Bid, "0.505", "1");
    assert!(matches!(
        f.e.place(f.alice, &bad_tick, NOW),
        Err(OrderError::Invalid(_))
    ));
    bad_tick.ticker = "KXTEST-DECI".into();
    assert!(
        f.e.place(f.alice, &bad_tick, NOW).is_ok(),
        "0.505 is on a deci-cent tick"
    );
    assert!(matches!(
        f.e.place(f.alice, &req(BookSide::Bid, "1.00", "1"), NOW),
        Err(OrderError::Invalid(_))
    ));
    assert!(matches!(
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "0"), NOW),
        Err(OrderError::Invalid(_))
    ));
    let mut unknown = req(BookSide::Bid, "0.50", "1");
    unknown.ticker = "NOPE".into();
    assert!(matches!(
        f.e.place(f.alice, &unknown, NOW),
        Err(OrderError::MarketNotFound(_))
    ));
    let mut ro = req(BookSide::Bid, "0.50", "1");
    ro.reduce_only = Some(true);
    assert!(
        matches!(f.e.place(f.alice, &ro, NOW), Err(OrderError::Invalid(_))),
        "reduce_only needs IOC"
    );
}

#[test]
fn balance_refusal_and_reservation() {
    let mut f = fx();
    // $100: 150 YES at 0.70 costs $105.
    let r = f.e.place(f.alice, &req(BookSide::Bid, "0.70", "150"), NOW);
    assert!(
        matches!(r, Err(OrderError::InsufficientBalance { .. })),
        "{r:?}"
    );
    // Selling YES at 0.30 = buying NO at 0.70: same cost.
    let r = f.e.place(f.alice, &req(BookSide::Ask, "0.30", "150"), NOW);
    assert!(
        matches!(r, Err(OrderError::InsufficientBalance { .. })),
        "{r:?}"
    );
    // A resting bid reserves its cost.
    f.e.place(f.alice, &req(BookSide::Bid, "0.50", "100"), NOW)
        .unwrap();
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("50"));
    assert!(matches!(
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "101"), NOW),
        Err(OrderError::InsufficientBalance { .. })
    ));
}

#[test]
fn netting_realizes_pnl_and_closing_needs_no_balance() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "100"), NOW)
        .unwrap();
    // Alice buys 100 YES at 0.40 (taker): $40 + fee ceil(0.07*100*0.4*0.6)=1.68.
    f.e.place(f.alice, &ioc(req(BookSide::Bid, "0.40", "100")), NOW)
        .unwrap();
    let a = f.e.account(f.alice).unwrap();
    assert_eq!(a.cash, d("58.32"));
    let p = f.e.position(f.alice, &T.into());
    assert_eq!((p.net, p.cost, p.fees), (c("100"), d("40"), d("1.68")));
    assert_eq!(f.e.market(&T.into()).unwrap().open_interest, c("100"));
    // Spend the rest of the cash so only closing is affordable.
    f.e.place(f.alice, &req(BookSide::Bid, "0.01", "5832"), NOW)
        .unwrap();
    assert_eq!(f.e.account(f.alice).unwrap().available(), Dollars::ZERO);
    // Selling 60 YES at 0.70 closes: allowed with zero available balance.
    let sell =
        f.e.place(f.alice, &req(BookSide::Ask, "0.70", "60"), NOW)
            .unwrap();
    assert_eq!(sell.remaining_count, c("60"));
    // Bob lifts it: Alice (maker) buys 60 NO at 0.30, closing 60 YES.
    f.e.place(f.bob, &ioc(req(BookSide::Bid, "0.70", "60")), NOW)
        .unwrap();
    let p = f.e.position(f.alice, &T.into());
    assert_eq!(p.net, c("40"));
    assert_eq!(p.cost, d("16"), "40 left at 0.40");
    assert_eq!(p.realized_pnl, d("18"), "60 × (0.70 − 0.40)");
    assert_eq!(
        f.e.account(f.alice).unwrap().cash,
        d("58.32") + d("42"),
        "$1 − 0.30 released per closed pair"
    );
    // OI: crowd still holds 100 NO, Alice 40 YES and Bob 60 YES.
    assert_eq!(f.e.market(&T.into()).unwrap().open_interest, c("100"));
    // A sell larger than the position reserves collateral only for the excess:
    // 40 close, 10 open at NO 0.30.
    let before = f.e.account(f.alice).unwrap().reserved;
    f.e.place(f.alice, &req(BookSide::Ask, "0.70", "50"), NOW)
        .unwrap();
    assert_eq!(f.e.account(f.alice).unwrap().reserved - before, d("3"));
}

#[test]
fn self_trade_prevention() {
    let mut f = fx();
    f.e.place(f.alice, &req(BookSide::Ask, "0.50", "5"), NOW)
        .unwrap();
    let r =
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "5"), NOW)
            .unwrap();
    assert_eq!(
        (r.fill_count, r.remaining_count),
        (Count::ZERO, Count::ZERO),
        "taker_at_cross cancels the taker"
    );
    assert_eq!(
        f.e.order_by_id(&r.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    let mut maker = req(BookSide::Bid, "0.50", "5");
    maker.self_trade_prevention_type = SelfTradePrevention::Maker;
    let r = f.e.place(f.alice, &maker, NOW).unwrap();
    assert_eq!(
        r.remaining_count,
        c("5"),
        "maker mode cancels the resting order and rests"
    );
    assert_eq!(levels(&f.e).no, vec![]);
}

#[test]
fn reduce_only_caps_by_position() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Ask, "0.40", "10"), NOW)
        .unwrap();
    f.e.place(f.alice, &ioc(req(BookSide::Bid, "0.40", "10")), NOW)
        .unwrap();
    f.e.place(f.crowd, &req(BookSide::Bid, "0.39", "100"), NOW)
        .unwrap();
    let mut r = ioc(req(BookSide::Ask, "0.39", "25"));
    r.reduce_only = Some(true);
    let out = f.e.place(f.alice, &r, NOW).unwrap();
    assert_eq!(out.fill_count, c("10"));
    assert_eq!(f.e.position(f.alice, &T.into()).net, Count::ZERO);
}

#[test]
fn cancel_releases_and_refuses_strangers() {
    let mut f = fx();
    let r =
        f.e.place(f.alice, &req(BookSide::Bid, "0.50", "10"), NOW)
            .unwrap();
    assert_eq!(
        f.e.cancel(f.bob, &r.order_id, NOW),
        Err(OrderError::OrderNotFound)
    );
    assert_eq!(
        f.e.cancel(f.alice, &OrderId("nope".into()), NOW),
        Err(OrderError::OrderNotFound)
    );
    let c1 = f.e.cancel(f.alice, &r.order_id, NOW).unwrap();
    assert_eq!(c1.reduced_by, c("10"));
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
    assert!(levels(&f.e).yes.is_empty());
    assert_eq!(
        f.e.cancel(f.alice, &r.order_id, NOW),
        Err(OrderError::OrderNotFound),
        "not resting any more"
    );
    let events = f.e.take_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Delta { delta, .. } if *delta == -c("10"))));
}

#[test]
fn expiry_cancels() {
    let mut f = fx();
    let mut r = req(BookSide::Bid, "0.50", "10");
    r.expiration_time = Some(NOW / 1000 + 5);
    let out = f.e.place(f.alice, &r, NOW).unwrap();
    assert_eq!(f.e.expire(NOW + 1_000), 0);
    assert_eq!(f.e.expire(NOW + 5_000), 1);
    assert_eq!(
        f.e.order_by_id(&out.order_id).unwrap().status,
        OrderStatus::Canceled
    );
}

fn amend_req(price: &str, count: &str) -> AmendOrderV2Request {
    AmendOrderV2Request {
        ticker: T.into(),
        side: Some(BookSide::Bid),
        price: d(price),
        count: c(count),
        ..AmendOrderV2Request::default()
    }
}

fn reasons(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::UserOrder { msg, .. } => msg.last_update_reason.clone(),
            _ => None,
        })
        .collect()
}

#[test]
fn amend_keeps_priority_when_shrinking_and_loses_it_on_a_new_price_or_more_size() {
    let mut f = fx();
    let first =
        f.e.place(f.alice, &req(BookSide::Bid, "0.40", "10"), NOW)
            .unwrap();
    let second =
        f.e.place(f.bob, &req(BookSide::Bid, "0.40", "5"), NOW)
            .unwrap();
    let key = |f: &Fx, id: &OrderId| f.e.order_by_id(id).unwrap().key;
    assert_eq!(f.e.queue_position(key(&f, &second.order_id)), Some(c("10")));
    f.e.take_events();

    // Same price, smaller: stays first, reserves less.
    let out =
        f.e.amend(f.alice, &first.order_id, &amend_req("0.40", "6"), NOW + 1)
            .unwrap();
    assert_eq!(out.remaining_count, Some(c("6")));
    assert_eq!(
        f.e.queue_position(key(&f, &first.order_id)),
        Some(Count::ZERO)
    );
    assert_eq!(f.e.queue_position(key(&f, &second.order_id)), Some(c("6")));
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("97.60"));
    assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("11"))]);
    assert_eq!(reasons(&f.e.take_events()), vec!["Amend"]);

    // Same price, larger: back of the queue.
    f.e.amend(f.alice, &first.order_id, &amend_req("0.40", "8"), NOW + 2)
        .unwrap();
    assert_eq!(f.e.queue_position(key(&f, &first.order_id)), Some(c("5")));
    assert_eq!(
        f.e.queue_position(key(&f, &second.order_id)),
        Some(Count::ZERO)
    );
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("96.80"));

    // New price: moves level, first at the new one.
    f.e.amend(f.alice, &first.order_id, &amend_req("0.42", "8"), NOW + 3)
        .unwrap();
    assert_eq!(
        levels(&f.e).yes,
        vec![(d("0.40"), c("5")), (d("0.42"), c("8"))]
    );
    assert_eq!(
        f.e.queue_position(key(&f, &first.order_id)),
        Some(Count::ZERO)
    );
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("96.64"));
    let o = f.e.order_by_id(&first.order_id).unwrap();
    assert_eq!(
        (o.yes_price, o.remaining, o.last_update_reason),
        (d("0.42"), c("8"), UpdateReason::Amend)
    );
}

#[test]
fn amend_that_crosses_fills_then_rests_and_refusals_change_nothing() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Ask, "0.45", "3"), NOW)
        .unwrap();
    let mine =
        f.e.place(f.alice, &req(BookSide::Bid, "0.40", "5"), NOW)
            .unwrap();
    let out =
        f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "5"), NOW + 1)
            .unwrap();
    assert_eq!(
        (out.fill_count, out.remaining_count, out.average_fill_price),
        (Some(c("3")), Some(c("2")), Some(d("0.45")))
    );
    assert_eq!(levels(&f.e).yes, vec![(d("0.45"), c("2"))]);
    assert!(levels(&f.e).no.is_empty());

    // Total count must exceed what already filled.
    assert!(matches!(
        f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "3"), NOW),
        Err(OrderError::Invalid(_))
    ));
    let mut wrong_side = amend_req("0.45", "5");
    wrong_side.side = Some(BookSide::Ask);
    assert!(matches!(
        f.e.amend(f.alice, &mine.order_id, &wrong_side, NOW),
        Err(OrderError::Invalid(_))
    ));
    assert!(matches!(
        f.e.amend(f.alice, &mine.order_id, &amend_req("0.455", "5"), NOW),
        Err(OrderError::Invalid(_))
    ));
    assert_eq!(
        f.e.amend(f.bob, &mine.order_id, &amend_req("0.45", "5"), NOW),
        Err(OrderError::OrderNotFound)
    );
    assert!(matches!(
        f.e.amend(f.alice, &mine.order_id, &amend_req("0.45", "300"), NOW),
        Err(OrderError::InsufficientBalance { .. })
    ));
    assert_eq!(levels(&f.e).yes, vec![(d("0.45"), c("2"))], "unchanged");

    // Post-only orders may not amend into a cross.
    f.e.place(f.crowd, &req(BookSide::Ask, "0.50", "3"), NOW)
        .unwrap();
    let mut po = req(BookSide::Bid, "0.30", "1");
    po.post_only = Some(true);
    let po = f.e.place(f.alice, &po, NOW).unwrap();
    assert_eq!(
        f.e.amend(f.alice, &po.order_id, &amend_req("0.50", "1"), NOW),
        Err(OrderError::PostOnlyCross)
    );
}

#[test]
fn decrease_keeps_priority_and_to_zero_cancels() {
    let mut f = fx();
    let first =
        f.e.place(f.alice, &req(BookSide::Bid, "0.40", "10"), NOW)
            .unwrap();
    let second =
        f.e.place(f.bob, &req(BookSide::Bid, "0.40", "5"), NOW)
            .unwrap();
    f.e.take_events();
    let by = DecreaseOrderV2Request {
        reduce_by: Some(c("4")),
        ..DecreaseOrderV2Request::default()
    };
    let out = f.e.decrease(f.alice, &first.order_id, &by, NOW).unwrap();
    assert_eq!(out.remaining_count, c("6"));
    let k = f.e.order_by_id(&first.order_id).unwrap().key;
    assert_eq!(f.e.queue_position(k), Some(Count::ZERO), "still first");
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("97.60"));
    assert_eq!(reasons(&f.e.take_events()), vec!["Decrease"]);
    let to = DecreaseOrderV2Request {
        reduce_to: Some(c("1")),
        ..DecreaseOrderV2Request::default()
    };
    assert_eq!(
        f.e.decrease(f.alice, &first.order_id, &to, NOW)
            .unwrap()
            .remaining_count,
        c("1")
    );
    for bad in [
        DecreaseOrderV2Request::default(),
        DecreaseOrderV2Request {
            reduce_by: Some(c("1")),
            reduce_to: Some(c("0")),
            ..DecreaseOrderV2Request::default()
        },
        DecreaseOrderV2Request {
            reduce_to: Some(c("1")),
            ..DecreaseOrderV2Request::default()
        },
        DecreaseOrderV2Request {
            reduce_by: Some(Count::ZERO),
            ..DecreaseOrderV2Request::default()
        },
    ] {
        assert!(
            matches!(
                f.e.decrease(f.alice, &first.order_id, &bad, NOW),
                Err(OrderError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    let zero = DecreaseOrderV2Request {
        reduce_to: Some(Count::ZERO),
        ..DecreaseOrderV2Request::default()
    };
    f.e.decrease(f.alice, &first.order_id, &zero, NOW).unwrap();
    assert_eq!(
        f.e.order_by_id(&first.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
    assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("5"))]);
    let k2 = f.e.order_by_id(&second.order_id).unwrap().key;
    assert_eq!(f.e.queue_position(k2), Some(Count::ZERO));
}

#[test]
fn cancel_all_and_queue_positions() {
    let mut f = fx();
    f.e.place(f.crowd, &req(BookSide::Bid, "0.40", "7"), NOW)
        .unwrap();
    let a1 =
        f.e.place(f.alice, &req(BookSide::Bid, "0.40", "2"), NOW)
            .unwrap();
    let a2 =
        f.e.place(f.alice, &req(BookSide::Ask, "0.60", "3"), NOW)
            .unwrap();
    f.e.place(f.bob, &req(BookSide::Bid, "0.40", "1"), NOW)
        .unwrap();
    let qp = f.e.queue_positions(f.alice, |_| true);
    let got: Vec<_> = qp
        .iter()
        .map(|q| (q.order_id.clone(), q.queue_position_fp))
        .collect();
    assert_eq!(
        got,
        vec![
            (a1.order_id.clone(), c("7")),
            (a2.order_id.clone(), Count::ZERO)
        ]
    );
    assert!(f.e.queue_positions(f.alice, |_| false).is_empty());
    assert_eq!(f.e.cancel_all(f.alice, NOW), 2);
    assert_eq!(f.e.cancel_all(f.alice, NOW), 0);
    assert_eq!(f.e.account(f.alice).unwrap().available(), d("100"));
    assert_eq!(levels(&f.e).yes, vec![(d("0.40"), c("8"))]);
    assert!(levels(&f.e).no.is_empty());
    assert!(f.e.queue_positions(f.alice, |_| true).is_empty());
}
