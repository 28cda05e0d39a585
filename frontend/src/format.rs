//! Display helpers: canonical money text, clock times, depth-bar widths. No floats for
//! money anywhere: widths are integer percentages of exact raw units.

use std::fmt::Display;

use shared::num::{Count, Dollars};
use shared::workspace::PriceFormat;

/// Placeholder for an absent value.
pub const DASH: &str = "—";

/// Canonical Display, or "—".
pub fn opt<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| DASH.to_owned(), |v| v.to_string())
}

thread_local! {
    /// How this user reads prices (their workspace's [`PriceFormat`]); views that show a
    /// price read it through [`price`], so a change re-renders them.
    static PRICE_FORMAT: leptos::prelude::ArcRwSignal<PriceFormat> =
        leptos::prelude::ArcRwSignal::new(PriceFormat::default());
}

/// Sets how prices are shown (from the user's workspace).
pub fn set_price_format(format: PriceFormat) {
    use leptos::prelude::{GetUntracked as _, Set as _};
    PRICE_FORMAT.with(|f| {
        if f.get_untracked() != format {
            f.set(format);
        }
    });
}

/// A price (not a money amount) as the user reads prices: `56¢`, `0.5600` or `56%`
/// (tracked: re-renders when the format changes).
pub fn price(p: Dollars) -> String {
    use leptos::prelude::Get as _;
    PRICE_FORMAT.with(|f| f.get()).show(p)
}

/// [`price`], or "—".
pub fn opt_price(p: Option<Dollars>) -> String {
    p.map_or_else(|| DASH.to_owned(), price)
}

/// A tick for messages: `0.0100` → `0.01`, `0.0010` → `0.001` (at least 2 decimals).
pub fn short_dollars(d: Dollars) -> String {
    let s = d.to_string();
    match s.split_once('.') {
        Some((int, frac)) => {
            let trimmed = frac.trim_end_matches('0');
            let frac = if trimmed.len() < 2 {
                &frac[..2]
            } else {
                trimmed
            };
            format!("{int}.{frac}")
        }
        None => s,
    }
}

/// `count / max` as an integer percentage 0..=100 (at least 1 for a non-empty level).
pub fn depth_pct(count: Count, max: Count) -> i64 {
    if max.raw() <= 0 || count.raw() <= 0 {
        return 0;
    }
    let pct = i128::from(count.raw()) * 100 / i128::from(max.raw());
    (pct as i64).clamp(1, 100)
}

/// Local wall-clock `HH:MM:SS` of a Unix time in milliseconds.
pub fn clock_ms(ms: i64) -> String {
    // A timestamp, not money: the JS Date API takes a double.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from(ms as f64));
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// Local `HH:MM:SS` of an RFC 3339 time; the raw text when the browser cannot parse it.
pub fn rfc3339_time(text: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text));
    if date.get_time().is_nan() {
        return text.to_owned();
    }
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_depth() {
        let table = [
            ("0.01", "0.01"),
            ("0.001", "0.001"),
            ("0.1", "0.10"),
            ("1", "1.00"),
        ];
        for (input, want) in table {
            assert_eq!(short_dollars(input.parse().unwrap()), want, "{input}");
        }
        let c = |s: &str| s.parse::<Count>().unwrap();
        assert_eq!(depth_pct(c("5"), c("10")), 50);
        assert_eq!(depth_pct(c("0.01"), c("1000")), 1);
        assert_eq!(depth_pct(c("0"), c("10")), 0);
        assert_eq!(depth_pct(c("10"), c("10")), 100);
    }
}
