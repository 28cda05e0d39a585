//! The trader's own layout: splitters that resize the panes beside them, and the top bar's
//! Layout menu (named layouts: switch, save as, delete; collapse panes; the ticket on the
//! left; the order of the row under the market; prices in cents, dollars or percent). Every change is stored on the desk for this user ([`crate::state::workspace`]).

use leptos::prelude::*;
use shared::workspace::{Edge, Layout, Pane, PriceFormat, RowPane, Workspace};
use wasm_bindgen::JsCast as _;

use crate::state::use_workspace;

/// The grid's CSS variables for `layout`: sizes, and each row pane's place (`--order-*`).
pub fn grid_style(layout: &Layout) -> String {
    let mut style = format!(
        "--markets-px:{}px;--ticket-px:{}px;--side-px:{}px;--bottom-px:{}px",
        layout.markets_px, layout.ticket_px, layout.side_px, layout.bottom_px
    );
    for pane in RowPane::ALL {
        style.push_str(&format!(
            ";--order-{}:{}",
            pane.as_str(),
            layout.place(pane)
        ));
    }
    style
}

/// The grid's classes for `layout`: `collapse-<pane>` per collapsed pane, `ticket-left`.
pub fn grid_class(layout: &Layout) -> String {
    let mut class = String::from("desk-grid");
    for pane in &layout.collapsed {
        class.push_str(" collapse-");
        class.push_str(pane.as_str());
    }
    if layout.ticket_left {
        class.push_str(" ticket-left");
    }
    class
}

/// A drag handle on `edge`: moving it resizes the pane beside it (shown at once, stored
/// when released).
#[component]
pub fn Splitter(edge: Edge) -> impl IntoView {
    let ws = use_workspace();
    // Where the drag started (pointer position, CSS px) and the layout then.
    let start = StoredValue::new(None::<(i32, Layout)>);
    let at = move |ev: &web_sys::PointerEvent| {
        if edge.is_vertical() {
            ev.client_x()
        } else {
            ev.client_y()
        }
    };
    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        if let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            // Keeps the moves coming while the pointer leaves the thin handle.
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        start.set_value(Some((
            at(&ev),
            ws.workspace.with_untracked(Workspace::layout),
        )));
    };
    let moved = move |ev: web_sys::PointerEvent| {
        let Some((from, mut layout)) = start.get_value() else {
            return;
        };
        layout.drag(edge, at(&ev).saturating_sub(from));
        ws.preview(|w| w.set_layout(layout));
    };
    let up = move |_: web_sys::PointerEvent| {
        if start.get_value().is_some() {
            start.set_value(None);
            ws.save();
        }
    };
    view! {
        <div
            class=format!("splitter splitter-{}", edge.as_str())
            data-testid=format!("splitter-{}", edge.as_str())
            title="Drag to resize"
            on:pointerdown=down
            on:pointermove=moved
            on:pointerup=up
            on:pointercancel=up
        ></div>
    }
}

/// The top bar's Layout menu.
#[component]
pub fn LayoutMenu() -> impl IntoView {
    let ws = use_workspace();
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let names = move || {
        ws.workspace
            .with(|w| w.layouts.iter().map(|l| l.name.clone()).collect::<Vec<_>>())
    };
    let active = move || ws.workspace.with(|w| w.layout().name);
    let save_as = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_owned();
        if n.is_empty() {
            return;
        }
        ws.change(|w| w.save_as(&n));
        name.set(String::new());
    };
    let pane_box = move |pane: Pane, label: &'static str| {
        view! {
            <label class="layout-check">
                <input type="checkbox" data-testid=format!("layout-show-{}", pane.as_str())
                    prop:checked=move || !ws.layout().is_collapsed(pane)
                    on:change=move |_| ws.toggle(pane)/>
                {label}
            </label>
        }
    };
    view! {
        <div class="layout-menu">
            <button type="button" class="btn btn-ghost btn-small" data-testid="layout-toggle"
                class:active=move || open.get()
                title="Your layouts: stored on the desk, restored at login on any machine"
                on:click=move |_| open.update(|o| *o = !*o)>
                {move || format!("Layout: {}", active())}
            </button>
            <Show when=move || open.get()>
                <div class="layout-pop" data-testid="layout-menu">
                    <div class="layout-line">
                        <select data-testid="layout-select"
                            prop:value=active
                            on:change=move |ev| {
                                let pick = event_target_value(&ev);
                                ws.change(|w| w.active = pick);
                            }>
                            <For each=names key=|n| n.clone() let:n>
                                <option value=n.clone() selected=move || active() == n>{n.clone()}</option>
                            </For>
                        </select>
                        <button type="button" class="btn btn-small btn-cancel" data-testid="layout-delete"
                            disabled=move || ws.workspace.with(|w| w.layouts.len() <= 1)
                            on:click=move |_| {
                                let gone = active();
                                ws.change(|w| w.remove(&gone));
                            }>
                            "Delete"
                        </button>
                    </div>
                    <form class="layout-line" on:submit=save_as>
                        <input type="text" data-testid="layout-name" placeholder="Save as…"
                            maxlength=shared::workspace::MAX_NAME.to_string()
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))/>
                        <button type="submit" class="btn btn-small" data-testid="layout-save">"Save"</button>
                    </form>
                    {pane_box(Pane::Markets, "Market finder")}
                    {pane_box(Pane::Side, "Depth, candles and tape")}
                    {pane_box(Pane::Bottom, "Orders, portfolio and fills")}
                    {pane_box(Pane::Accounts, "Order groups and subaccounts")}
                    <div class="layout-row" data-testid="layout-row">
                        <span class="muted">"Row under the market"</span>
                        {move || ws.layout().row.into_iter().map(|pane| view! {
                            <div class="layout-line" data-testid="layout-row-pane" data-pane=pane.as_str()>
                                <span class="layout-row-name">{pane.label()}</span>
                                <button type="button" class="btn btn-small" title="Move left"
                                    data-testid=format!("row-left-{}", pane.as_str())
                                    on:click=move |_| ws.change_layout(|l| l.shift(pane, false))>"◀"</button>
                                <button type="button" class="btn btn-small" title="Move right"
                                    data-testid=format!("row-right-{}", pane.as_str())
                                    on:click=move |_| ws.change_layout(|l| l.shift(pane, true))>"▶"</button>
                            </div>
                        }).collect_view()}
                    </div>
                    <label class="layout-check">
                        <input type="checkbox" data-testid="layout-ticket-left"
                            prop:checked=move || ws.layout().ticket_left
                            on:change=move |_| ws.change_layout(|l| l.ticket_left = !l.ticket_left)/>
                        "Ticket on the left"
                    </label>
                    <label class="layout-check">
                        "Prices in"
                        <select data-testid="price-format"
                            prop:value=move || ws.workspace.with(|w| w.prices.as_str())
                            on:change=move |ev| {
                                if let Some(f) = PriceFormat::named(&event_target_value(&ev)) {
                                    ws.change(|w| w.prices = f);
                                }
                            }>
                            <option value="cents">"cents (56¢)"</option>
                            <option value="dollars">"dollars (0.5600)"</option>
                            <option value="percent">"percent (56%)"</option>
                        </select>
                    </label>
                    <button type="button" class="btn btn-small" data-testid="layout-reset"
                        on:click=move |_| ws.change_layout(|l| *l = Layout::standard(&l.name))>
                        "Reset this layout"
                    </button>
                </div>
            </Show>
        </div>
    }
}
