//! The open market's charts, plain SVG (no chart library), integer pixel math (no floats
//! for prices or counts):
//!
//! - [`DepthChart`]: cumulative bids on both sides of the book: YES bids stepping down
//!   from the best bid, and NO bids shown as YES asks (1 − NO price) stepping up from the
//!   best ask. Redrawn at most every [`DEPTH_REDRAW`] from the live book, so a fast book
//!   costs one redraw per interval, not one per frame.
//! - [`CandleChart`]: 1-minute / 1-hour / 1-day candles of YES trade prices from
//!   `GET /api/markets/{ticker}/candles` (Kalshi GetMarketCandlesticks), refreshed every
//!   [`CANDLE_REFRESH`].
//!
//! Axis labels print prices on the market's own grid (`0.45` on a cent market, `0.455`
//! in a deci-cent band), see [`price_label`].

use std::time::Duration;

use leptos::prelude::*;
use shared::ids::Side;
use shared::num::{Count, Dollars};
use shared::protocol::{CandlePeriod, CandleView};
use shared::rest::Market;

use crate::api;
use crate::format::short_dollars;
use crate::state::use_market;

/// Shortest time between two depth-chart redraws.
pub const DEPTH_REDRAW: Duration = Duration::from_millis(250);
/// How often the candles reload.
pub const CANDLE_REFRESH: Duration = Duration::from_secs(15);
/// Levels per side the depth chart draws.
const DEPTH_LEVELS: usize = 40;

const W: i64 = 400;
const H: i64 = 140;
const PAD: i64 = 14;

/// A price with as many decimals as the market's tick at that price needs (at least 2).
pub fn price_label(market: Option<&Market>, price: Dollars) -> String {
    let tick = market.map_or(Dollars::from_cents(1), |m| m.tick_at(price));
    let tick_digits = short_dollars(tick).split('.').nth(1).map_or(2, str::len);
    let full = price.to_string();
    match full.split_once('.') {
        Some((int, frac)) => {
            let keep = tick_digits.max(2).min(frac.len());
            let trimmed = frac[keep..].trim_end_matches('0');
            format!("{int}.{}{trimmed}", &frac[..keep])
        }
        None => full,
    }
}

/// `value` of `0..=span` mapped onto `0..=pixels` (integer, clamped).
fn scale(value: i64, span: i64, pixels: i64) -> i64 {
    if span <= 0 {
        return 0;
    }
    let v = i128::from(value.clamp(0, span)) * i128::from(pixels) / i128::from(span);
    i64::try_from(v).unwrap_or(0)
}

/// Cumulative depth: (price, contracts at this price or better), best first.
type Steps = Vec<(Dollars, Count)>;

fn cumulative(levels: impl Iterator<Item = (Dollars, Count)>) -> Steps {
    let mut total = Count::ZERO;
    levels
        .take(DEPTH_LEVELS)
        .map(|(p, c)| {
            total += c;
            (p, total)
        })
        .collect()
}

/// An SVG path of a step area from the best price outward.
fn step_path(steps: &Steps, x: impl Fn(Dollars) -> i64, y: impl Fn(Count) -> i64) -> String {
    let Some(&(first, _)) = steps.first() else {
        return String::new();
    };
    let base = H - PAD;
    let mut d = format!("M{} {base}", x(first));
    let mut prev_y = base;
    for &(p, cum) in steps {
        let px = x(p);
        d.push_str(&format!(" L{px} {prev_y} L{px} {}", y(cum)));
        prev_y = y(cum);
    }
    if let Some(&(last, _)) = steps.last() {
        d.push_str(&format!(" L{} {base} Z", x(last)));
    }
    d
}

/// Cumulative depth of both sides of the open market's book.
#[component]
pub fn DepthChart(
    /// The open market (for its price grid).
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let sides = RwSignal::new((Steps::new(), Steps::new()));
    let pending = StoredValue::new(false);
    let redraw = move || {
        data.book.with_untracked(|b| {
            let bids = cumulative(b.book.ladder(Side::Yes).iter().rev().map(|(p, c)| (*p, *c)));
            let asks = cumulative(
                b.book
                    .ladder(Side::No)
                    .iter()
                    .rev()
                    .map(|(p, c)| (p.complement(), *c)),
            );
            sides.set((bids, asks));
        });
    };
    Effect::new(move |_| {
        data.book.with(|b| b.version);
        if pending.get_value() {
            return;
        }
        pending.set_value(true);
        set_timeout(
            move || {
                pending.set_value(false);
                redraw();
            },
            DEPTH_REDRAW,
        );
    });
    let chart = move || {
        sides.with(|(bids, asks)| {
            let lo = bids.last().map(|s| s.0).or(asks.first().map(|s| s.0));
            let hi = asks.last().map(|s| s.0).or(bids.first().map(|s| s.0));
            let (Some(lo), Some(hi)) = (lo, hi) else {
                return view! { <text x="10" y="20" class="chart-note">"No book yet"</text> }.into_any();
            };
            let span = (hi - lo).raw().max(1);
            let max = bids
                .last()
                .map(|s| s.1)
                .max(asks.last().map(|s| s.1))
                .unwrap_or(Count::ZERO)
                .raw()
                .max(1);
            let x = move |p: Dollars| PAD + scale((p - lo).raw(), span, W - 2 * PAD);
            let y = move |c: Count| H - PAD - scale(c.raw(), max, H - 3 * PAD);
            let bid_path = step_path(bids, x, y);
            let ask_path = step_path(asks, x, y);
            let m = market.get();
            let label = |p: Dollars| price_label(m.as_ref(), p);
            let (lo_text, hi_text) = (label(lo), label(hi));
            let best = bids.first().map(|b| label(b.0)).unwrap_or_default();
            let ask = asks.first().map(|a| label(a.0)).unwrap_or_default();
            view! {
                <path class="depth-bids" data-testid="depth-bids" d=bid_path></path>
                <path class="depth-asks" data-testid="depth-asks" d=ask_path></path>
                <text x=PAD y={H - 2} class="axis">{lo_text}</text>
                <text x={W - PAD} y={H - 2} class="axis" text-anchor="end">{hi_text}</text>
                <text x={W / 2} y="12" class="axis" text-anchor="middle">{format!("bid {best} · ask {ask}")}</text>
                <text x=PAD y="12" class="axis">{format!("{} max", Count::from_raw(max))}</text>
            }
            .into_any()
        })
    };
    view! {
        <div class="chart-box">
            <div class="chart-head"><span class="pane-title">"Depth"</span></div>
            <svg
                class="chart depth-chart"
                data-testid="depth-chart"
                data-bid-levels=move || sides.with(|s| s.0.len())
                data-ask-levels=move || sides.with(|s| s.1.len())
                viewBox=format!("0 0 {W} {H}")
                preserveAspectRatio="none"
            >
                {chart}
            </svg>
        </div>
    }
}

/// Candles of the open market, with a 1m / 1h / 1d switch.
#[component]
pub fn CandleChart(
    /// The open market (for its price grid).
    #[prop(into)]
    market: Signal<Option<Market>>,
) -> impl IntoView {
    let data = use_market();
    let period = RwSignal::new(CandlePeriod::Minute);
    let refresh = RwSignal::new(0_u64);
    if let Ok(handle) =
        set_interval_with_handle(move || refresh.update(|n| *n += 1), CANDLE_REFRESH)
    {
        on_cleanup(move || handle.clear());
    }
    let loaded = LocalResource::new(move || {
        let open = data.selected.get();
        let p = period.get();
        refresh.track();
        async move {
            match open {
                Some(t) => api::candles(&t, p).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let candles = Signal::derive(move || {
        let open = data.selected.get();
        loaded
            .get()
            .and_then(Result::ok)
            .flatten()
            .filter(|v| Some(&v.market_ticker) == open.as_ref() && v.period == period.get())
            .map(|v| v.candles)
    });
    let error = move || loaded.get().and_then(Result::err).map(|e| e.to_string());
    let chart = move || {
        let Some(list) = candles.get() else {
            return view! { <text x="10" y="20" class="chart-note">"Loading…"</text> }.into_any();
        };
        if list.is_empty() {
            return view! { <text x="10" y="20" class="chart-note" data-testid="candles-empty">"No trades in this range yet"</text> }.into_any();
        }
        let m = market.get();
        candle_svg(&list, m.as_ref()).into_any()
    };
    let button = move |p: CandlePeriod| {
        view! {
            <button
                type="button"
                class="btn btn-small"
                class:active=move || period.get() == p
                data-testid="candle-period"
                data-period=p.as_str()
                on:click=move |_| {
                    if period.get_untracked() == p {
                        refresh.update(|n| *n += 1);
                    } else {
                        period.set(p);
                    }
                }
            >
                {p.as_str()}
            </button>
        }
    };
    view! {
        <div class="chart-box">
            <div class="chart-head">
                <span class="pane-title">"Candles"</span>
                {CandlePeriod::ALL.into_iter().map(button).collect_view()}
                {move || error().map(|e| view! { <span class="load-error">{e}</span> })}
            </div>
            <svg
                class="chart candle-chart"
                data-testid="candle-chart"
                data-period=move || period.get().as_str()
                data-candles=move || candles.with(|c| c.as_ref().map_or(0, Vec::len))
                viewBox=format!("0 0 {W} {H}")
                preserveAspectRatio="none"
            >
                {chart}
            </svg>
        </div>
    }
}

/// The candles as SVG: a wick and a body each, price scale from the range's low to high.
fn candle_svg(list: &[CandleView], market: Option<&Market>) -> impl IntoView {
    let lo = list.iter().map(|c| c.low).min().unwrap_or(Dollars::ZERO);
    let hi = list.iter().map(|c| c.high).max().unwrap_or(Dollars::ONE);
    let span = (hi - lo).raw().max(1);
    let slots = i64::try_from(list.len()).unwrap_or(1).max(30);
    let slot = (W - 2 * PAD) / slots;
    let body_w = (slot * 2 / 3).max(1);
    let y = move |p: Dollars| PAD + scale((hi - p).raw(), span, H - 3 * PAD);
    let first = i64::try_from(list.len()).unwrap_or(0);
    let bars = list
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let i = i64::try_from(i).unwrap_or(0);
            let x = W - PAD - (first - i) * slot;
            let up = c.close >= c.open;
            let (top, bottom) = if up { (c.close, c.open) } else { (c.open, c.close) };
            let body_h = (y(bottom) - y(top)).max(1);
            let mid = x + body_w / 2;
            view! {
                <g class=if up { "candle up" } else { "candle down" } data-testid="candle"
                    data-end=c.end_ts data-open=c.open.to_string() data-high=c.high.to_string()
                    data-low=c.low.to_string() data-close=c.close.to_string() data-volume=c.volume.to_string()>
                    <title>{format!("O {} H {} L {} C {} · vol {}", c.open, c.high, c.low, c.close, c.volume)}</title>
                    <line x1=mid x2=mid y1=y(c.high) y2=y(c.low)></line>
                    <rect x=x y=y(top) width=body_w height=body_h></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        {bars}
        <text x=PAD y="12" class="axis">{price_label(market, hi)}</text>
        <text x=PAD y={H - 2} class="axis">{price_label(market, lo)}</text>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_price_grid() {
        let d = |s: &str| s.parse::<Dollars>().unwrap();
        let tapered: Market = serde_json::from_str(
            r#"{"ticker":"T","event_ticker":"E","status":"active","price_ranges":[
                {"start":"0","end":"0.10","step":"0.001"},
                {"start":"0.10","end":"0.90","step":"0.01"},
                {"start":"0.90","end":"1","step":"0.001"}]}"#,
        )
        .unwrap();
        assert_eq!(price_label(Some(&tapered), d("0.45")), "0.45");
        assert_eq!(price_label(Some(&tapered), d("0.055")), "0.055");
        assert_eq!(price_label(Some(&tapered), d("0.05")), "0.050");
        assert_eq!(price_label(None, d("0.4537")), "0.4537");
        assert_eq!(scale(5, 10, 100), 50);
        assert_eq!(scale(50, 10, 100), 100);
        assert_eq!(scale(1, 0, 100), 0);
    }
}
