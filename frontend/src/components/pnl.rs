//! The P&L history tab: realized and unrealized by trading day, market or series (the desk
//! computes it from the fills and settlements it stored, [`shared::pnl`]), the days drawn as
//! bars with the running total as a line, a CSV of the table; an admin switches to the
//! desk's.

use leptos::prelude::*;
use shared::num::Dollars;
use shared::pnl::{PnlBy, PnlRow};

use crate::api;
use crate::components::load_status::LoadStatus;

/// Chart size (SVG user units; it scales to the pane's width).
const WIDTH: i64 = 600;
const HEIGHT: i64 = 120;

/// A day's bar and the running total's point, in chart units.
struct Bar {
    x: i64,
    width: i64,
    y: i64,
    height: i64,
    negative: bool,
    line_y: i64,
    title: String,
}

/// Bars for `days` (oldest first) scaled so the largest daily total or running total fills
/// the chart's half-height either side of zero. Integer arithmetic on ten-thousandths.
fn bars(days: &[PnlRow]) -> Vec<Bar> {
    let units = |d: Dollars| d.ten_thousandths().unwrap_or(0);
    let mut running = 0_i64;
    let points: Vec<(i64, i64)> = days
        .iter()
        .map(|r| {
            running = running.saturating_add(units(r.total));
            (units(r.total), running)
        })
        .collect();
    let scale = points
        .iter()
        .map(|(t, run)| t.abs().max(run.abs()))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = i64::try_from(days.len()).unwrap_or(1).max(1);
    let slot = WIDTH / n;
    let half = HEIGHT / 2;
    let y = |v: i64| half - v.saturating_mul(half - 4) / scale;
    days.iter()
        .zip(points)
        .enumerate()
        .map(|(i, (row, (total, run)))| {
            let top = y(total.max(0));
            let bottom = y(total.min(0));
            Bar {
                x: i64::try_from(i).unwrap_or(0) * slot + slot / 8,
                width: (slot * 3 / 4).max(1),
                y: top,
                height: (bottom - top).max(1),
                negative: total < 0,
                line_y: y(run),
                title: format!(
                    "{}: {} (running {})",
                    row.key,
                    row.total,
                    Dollars::from_ten_thousandths(run)
                ),
            }
        })
        .collect()
}

/// The P&L history tab.
#[component]
pub fn PnlPane() -> impl IntoView {
    let is_admin = crate::auth::is_admin();
    let desk = RwSignal::new(false);
    let by = RwSignal::new(PnlBy::Day);
    let refresh = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        refresh.track();
        api::pnl_history(desk.get())
    });
    // Read once per answer; the chart, the table and the total row read it in place.
    let history = Memo::new(move |_| loaded.get().and_then(Result::ok).unwrap_or_default());
    let rows = move || history.with(|h| h.rows(by.get()).to_vec());
    let total = move |f: fn(&PnlRow) -> Dollars| history.with(|h| f(&h.total).to_string());
    let csv = move || {
        format!(
            "/api/pnl/history.csv?by={}{}",
            by.get().as_str(),
            if desk.get() { "&desk=true" } else { "" }
        )
    };
    let chart = move || {
        let bars = history.with(|h| bars(&h.days));
        let line: Vec<String> = bars
            .iter()
            .map(|b| format!("{},{}", b.x + b.width / 2, b.line_y))
            .collect();
        view! {
            <svg class="pnl-chart" data-testid="pnl-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none">
                <line x1="0" x2=WIDTH y1=HEIGHT / 2 y2=HEIGHT / 2 class="pnl-zero"/>
                {bars.into_iter().map(|b| view! {
                    <rect data-testid="pnl-bar" x=b.x y=b.y width=b.width height=b.height
                        class=if b.negative { "pnl-bar neg" } else { "pnl-bar" }>
                        <title>{b.title}</title>
                    </rect>
                }).collect_view()}
                <polyline class="pnl-line" points=line.join(" ")/>
            </svg>
        }
    };
    let money = |d: Dollars| d.to_string();
    view! {
        <div class="pane-head">
            <span class="pane-title">"P&L"</span>
            <Show when=move || is_admin.get()>
                <select data-testid="pnl-scope" on:change=move |ev| desk.set(event_target_value(&ev) == "desk")>
                    <option value="mine">"Mine"</option>
                    <option value="desk">"Desk"</option>
                </select>
            </Show>
            <select data-testid="pnl-by" on:change=move |ev| by.set(match event_target_value(&ev).as_str() {
                "market" => PnlBy::Market,
                "series" => PnlBy::Series,
                _ => PnlBy::Day,
            })>
                <option value="day">"By day"</option>
                <option value="market">"By market"</option>
                <option value="series">"By series"</option>
            </select>
            <span class="spacer"></span>
            <button class="btn btn-ghost btn-small" data-testid="pnl-refresh"
                on:click=move |_| refresh.update(|n| *n = n.wrapping_add(1))>"Refresh"</button>
            <a class="btn btn-ghost btn-small csv-link" data-testid="pnl-csv" href=csv download="pnl.csv"
                title="This table as CSV">"CSV"</a>
        </div>
        <LoadStatus resource=loaded what="P&L history"/>
        {chart}
        <table class="grid" data-testid="pnl-table">
            <thead>
                <tr>
                    <th>{move || match by.get() { PnlBy::Day => "Day", PnlBy::Market => "Market", PnlBy::Series => "Series" }}</th>
                    <th class="num">"Realized"</th>
                    <th class="num">"Unrealized"</th>
                    <th class="num">"Fees"</th>
                    <th class="num">"Total"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| format!("{r:?}") let:row>
                    <tr data-testid="pnl-row" data-key=row.key.clone()>
                        <td>{row.key.clone()}</td>
                        <td class="num" class:neg=row.realized.is_negative() data-testid="pnl-realized">{money(row.realized)}</td>
                        <td class="num" class:neg=row.unrealized.is_negative() data-testid="pnl-unrealized">{money(row.unrealized)}</td>
                        <td class="num" data-testid="pnl-fees">{money(row.fees)}</td>
                        <td class="num" class:neg=row.total.is_negative() data-testid="pnl-total">{money(row.total)}</td>
                    </tr>
                </For>
            </tbody>
            <tfoot>
                <tr data-testid="pnl-total-row">
                    <th>"Total"</th>
                    <th class="num">{move || total(|t| t.realized)}</th>
                    <th class="num">{move || total(|t| t.unrealized)}</th>
                    <th class="num">{move || total(|t| t.fees)}</th>
                    <th class="num">{move || total(|t| t.total)}</th>
                </tr>
            </tfoot>
        </table>
        <Show when=move || rows().is_empty()>
            <div class="empty">"No fills yet."</div>
        </Show>
    }
}
