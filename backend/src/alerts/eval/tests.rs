use shared::alerts::{AlertRule, Condition, Direction, PriceField};
use shared::auth::Halt;
use shared::ids::{MarketTicker, Side};
use shared::num::{Count, Dollars};
use shared::protocol::{OrderView, UpstreamState};
use shared::rest::OrderStatus;
use shared::ws::{RfqCreatedMsg, TickerMsg};

use super::{Evaluator, Observation};

const M: &str = "KXDESK-26DEC31-T50";

fn rule(id: i64, condition: Condition) -> (i64, AlertRule) {
    (
        1,
        AlertRule {
            id,
            condition,
            muted: false,
            created_ms: 0,
        },
    )
}

fn bid(cents: i64) -> TickerMsg {
    TickerMsg {
        market_ticker: M.into(),
        yes_bid_dollars: Some(Dollars::from_cents(cents)),
        ..TickerMsg::default()
    }
}

fn fired(e: &mut Evaluator, t: &TickerMsg, now: i64) -> usize {
    e.observe(Observation::Ticker(t), now).len()
}

#[test]
fn a_price_level_fires_once_per_crossing_not_while_it_holds() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(
        1,
        Condition::PriceCross {
            market_ticker: M.into(),
            field: PriceField::Bid,
            direction: Direction::Above,
            level: Dollars::from_cents(60),
        },
    )]);
    assert_eq!(fired(&mut e, &bid(50), 1), 0, "the baseline");
    let up = e.observe(Observation::Ticker(&bid(65)), 2);
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].detail, "YES bid 0.6500");
    assert_eq!(up[0].title, format!("{M} YES bid at or above 0.6000"));
    assert_eq!(
        fired(&mut e, &bid(70), 3),
        0,
        "still above: no second alert"
    );
    assert_eq!(fired(&mut e, &bid(60), 4), 0, "at the level still holds");
    assert_eq!(fired(&mut e, &bid(59), 5), 0, "back below re-arms");
    assert_eq!(fired(&mut e, &bid(61), 6), 1, "the next crossing fires");
    // A ticker without a bid changes nothing.
    let partial = TickerMsg {
        market_ticker: M.into(),
        price_dollars: Some(Dollars::from_cents(40)),
        ..TickerMsg::default()
    };
    assert_eq!(fired(&mut e, &partial, 7), 0);
}

#[test]
fn a_level_already_crossed_when_the_rule_is_made_does_not_fire() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(
        1,
        Condition::PriceCross {
            market_ticker: M.into(),
            field: PriceField::Bid,
            direction: Direction::Below,
            level: Dollars::from_cents(40),
        },
    )]);
    assert_eq!(fired(&mut e, &bid(30), 1), 0);
    assert_eq!(fired(&mut e, &bid(20), 2), 0);
    assert_eq!(fired(&mut e, &bid(45), 3), 0);
    assert_eq!(fired(&mut e, &bid(40), 4), 1);
}

#[test]
fn a_spread_rule_reads_both_sides_and_waits_on_a_one_sided_book() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(
        1,
        Condition::Spread {
            market_ticker: M.into(),
            direction: Direction::Above,
            level: Dollars::from_cents(5),
        },
    )]);
    let quote = |b: i64, a: i64| TickerMsg {
        market_ticker: M.into(),
        yes_bid_dollars: Some(Dollars::from_cents(b)),
        yes_ask_dollars: Some(Dollars::from_cents(a)),
        ..TickerMsg::default()
    };
    assert_eq!(fired(&mut e, &quote(50, 52), 1), 0);
    let wide = e.observe(Observation::Ticker(&quote(50, 58)), 2);
    assert_eq!(wide.len(), 1);
    assert_eq!(wide[0].detail, "spread 0.0800");
    // No ask (Kalshi's 1.00): no reading, no re-arm.
    assert_eq!(fired(&mut e, &quote(50, 100), 3), 0);
    assert_eq!(fired(&mut e, &quote(50, 59), 4), 0);
}

#[test]
fn a_volume_burst_counts_contracts_inside_its_window() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(
        1,
        Condition::VolumeBurst {
            market_ticker: M.into(),
            contracts: Count::from_int(100),
            window_secs: 10,
        },
    )]);
    let vol = |v: i64| TickerMsg {
        market_ticker: M.into(),
        volume_fp: Some(Count::from_int(v)),
        ..TickerMsg::default()
    };
    assert_eq!(fired(&mut e, &vol(1_000), 0), 0);
    assert_eq!(fired(&mut e, &vol(1_060), 4_000), 0, "60 in 4 s");
    let burst = e.observe(Observation::Ticker(&vol(1_100)), 8_000);
    assert_eq!(burst.len(), 1, "100 in 8 s");
    assert_eq!(burst[0].detail, "100.00 contracts traded within 10 s");
    assert_eq!(fired(&mut e, &vol(1_150), 9_000), 0, "still bursting");
    // Quiet for the window: the reading drops below 100 and re-arms on a tick.
    assert!(e.observe(Observation::Tick, 30_000).is_empty());
    assert_eq!(fired(&mut e, &vol(1_200), 31_000), 0, "50 in the window");
    assert_eq!(fired(&mut e, &vol(1_260), 32_000), 1, "110 in the window");
}

#[test]
fn the_upstream_rule_waits_its_seconds_and_fires_once_per_outage() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(1, Condition::UpstreamDown { seconds: 5 })]);
    assert!(e
        .observe(Observation::Upstream(UpstreamState::Live), 100)
        .is_empty());
    assert!(e
        .observe(Observation::Upstream(UpstreamState::Down), 1_000)
        .is_empty());
    assert!(e
        .observe(Observation::Upstream(UpstreamState::Connecting), 2_000)
        .is_empty());
    assert!(e.observe(Observation::Tick, 5_900).is_empty(), "4.9 s");
    let down = e.observe(Observation::Tick, 6_000);
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].detail, "no Kalshi connection for 5 s");
    assert!(
        e.observe(Observation::Tick, 9_000).is_empty(),
        "once per outage"
    );
    assert!(e
        .observe(Observation::Upstream(UpstreamState::Live), 9_500)
        .is_empty());
    assert!(e
        .observe(Observation::Upstream(UpstreamState::Down), 10_000)
        .is_empty());
    assert_eq!(
        e.observe(Observation::Tick, 15_000).len(),
        1,
        "the next outage"
    );
}

#[test]
fn only_exchange_cancels_fire_and_each_once() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![rule(
        1,
        Condition::ExchangeCancel {
            market_ticker: None,
        },
    )]);
    let mut order = OrderView {
        order_id: "o1".into(),
        client_order_id: None,
        market_ticker: M.into(),
        side: Side::Yes,
        price: Dollars::from_cents(40),
        yes_price: Dollars::from_cents(40),
        remaining: Count::ZERO,
        filled: Count::ZERO,
        status: OrderStatus::Canceled,
        order_group_id: None,
        subaccount: 0,
        owner: None,
        update_reason: None,
    };
    assert!(
        e.observe(Observation::Order(&order), 1).is_empty(),
        "a cancel the desk asked for carries no reason"
    );
    order.update_reason = Some("Decrease".into());
    assert!(e.observe(Observation::Order(&order), 2).is_empty());
    order.update_reason = Some("CloseCancel".into());
    let out = e.observe(Observation::Order(&order), 3);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].detail,
        format!("CloseCancel: YES order o1 at 0.4000 in {M}")
    );
    assert!(e.observe(Observation::Order(&order), 4).is_empty(), "once");
}

#[test]
fn halts_fire_for_new_halts_only_and_rfqs_by_series() {
    let mut e = Evaluator::new(0);
    e.set_rules(vec![
        rule(1, Condition::Halted),
        rule(
            2,
            Condition::Rfq {
                series_ticker: "kxdesk".into(),
            },
        ),
    ]);
    let desk = Halt {
        user: None,
        actor: "ada".into(),
        reason: "news".into(),
        since_ms: 1,
    };
    assert!(
        e.observe(Observation::Halts(std::slice::from_ref(&desk)), 1)
            .is_empty(),
        "baseline"
    );
    assert!(e.observe(Observation::Halts(&[]), 2).is_empty());
    let bob = Halt {
        user: Some("bob".into()),
        ..desk.clone()
    };
    let out = e.observe(Observation::Halts(std::slice::from_ref(&bob)), 3);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].detail, "user bob halted by ada: news");
    assert!(e.observe(Observation::Halts(&[bob]), 4).is_empty());

    let rfq = |m: &str| RfqCreatedMsg {
        id: "r1".into(),
        market_ticker: MarketTicker::from(m),
        contracts_fp: Some(Count::from_int(50)),
        ..RfqCreatedMsg::default()
    };
    let out = e.observe(Observation::Rfq(&rfq(M)), 5);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule_id, 2);
    assert_eq!(out[0].detail, format!("RFQ r1 for 50.00 contracts in {M}"));
    assert!(e
        .observe(Observation::Rfq(&rfq("KXOTHER-26-T1")), 6)
        .is_empty());
}
