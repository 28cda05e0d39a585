//! Alerts: the panel where a user keeps their rules (price crossing, spread, volume burst,
//! fill, exchange cancel, RFQ on a series, halts, the Kalshi connection down), their webhook
//! and desktop notifications, and reads the log; and what a firing does on the page — a
//! toast, a short tone, and a desktop notification when the browser allows them (asked once,
//! from the panel's button). The desk evaluates the rules, so they fire with every tab
//! closed; this page only shows them ([`apply`], from the socket's `alert` frames).

use std::cell::Cell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::alerts::{
    AlertFired, AlertRule, AlertSettings, Condition, Direction, NewAlertRule, PriceField,
    WebhookDelivery,
};
use shared::ids::MarketTicker;
use shared::num::{Count, Dollars};

use crate::api;
use crate::format::clock_ms;
use crate::state::{use_market, Toasts};

/// Firings the page keeps.
const LOG_KEPT: usize = 200;

thread_local! {
    static INSTALLED: Cell<Option<AlertsState>> = const { Cell::new(None) };
}

/// The alerts context. `Copy`; get it with [`use_alerts`].
#[derive(Clone, Copy)]
pub struct AlertsState {
    /// The panel is open.
    pub open: RwSignal<bool>,
    /// Firings, newest first.
    pub log: RwSignal<Vec<AlertFired>>,
    /// Firings since the panel was last open (the top bar's badge).
    pub unseen: RwSignal<u32>,
    toasts: Toasts,
}

/// The alerts context.
pub fn use_alerts() -> AlertsState {
    use_context::<AlertsState>().expect("the desk page installs AlertsState")
}

impl AlertsState {
    /// Provides the context and routes the socket's `alert` frames to it.
    pub fn install(toasts: Toasts) -> AlertsState {
        let s = AlertsState {
            open: RwSignal::new(false),
            log: RwSignal::new(Vec::new()),
            unseen: RwSignal::new(0),
            toasts,
        };
        provide_context(s);
        INSTALLED.with(|c| c.set(Some(s)));
        spawn_local(async move {
            if let Ok(log) = api::alert_log().await {
                s.log.set(log);
            }
        });
        s
    }
}

/// Applies one `alert` frame: a new firing is logged, toasted, sounded and notified (a
/// muted one only logged); a known one (its webhook's outcome) updates its row.
pub fn apply(fired: AlertFired) {
    let Some(s) = INSTALLED.with(Cell::get) else {
        return;
    };
    let mut new = true;
    s.log.update(|log| {
        if fired.id != 0 {
            if let Some(row) = log.iter_mut().find(|r| r.id == fired.id) {
                *row = fired.clone();
                new = false;
            }
        }
        if new {
            log.insert(0, fired.clone());
            log.truncate(LOG_KEPT);
        }
    });
    if !new || fired.muted {
        return;
    }
    s.toasts
        .toast("alert", format!("{}: {}", fired.title, fired.detail));
    if !s.open.get_untracked() {
        s.unseen.update(|n| *n = n.saturating_add(1));
    }
    tone();
    notify(&fired);
}

thread_local! {
    static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> = const { std::cell::RefCell::new(None) };
}

/// A short 880 Hz tone (one shared audio context; silent where the browser refuses).
fn tone() {
    AUDIO.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = web_sys::AudioContext::new().ok();
        }
        let Some(ctx) = cell.as_ref() else {
            return;
        };
        let _ = ctx.resume();
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
            return;
        };
        osc.frequency().set_value(880.0);
        gain.gain().set_value(0.08);
        let now = ctx.current_time();
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let _ = osc.start();
        // Audio time in seconds, not money.
        #[allow(clippy::float_arithmetic)]
        let _ = osc.stop_with_when(now + 0.18);
    });
}

/// A desktop notification, when the browser has allowed them.
fn notify(fired: &AlertFired) {
    if web_sys::Notification::permission() != web_sys::NotificationPermission::Granted {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(&fired.detail);
    options.set_tag(&format!("desk-alert-{}", fired.id));
    let _ = web_sys::Notification::new_with_options(&fired.title, &options);
}

fn permission_text(p: web_sys::NotificationPermission) -> &'static str {
    match p {
        web_sys::NotificationPermission::Granted => "on",
        web_sys::NotificationPermission::Denied => "blocked by the browser",
        _ => "off",
    }
}

/// A webhook delivery in words.
fn webhook_text(delivery: &WebhookDelivery) -> String {
    match delivery {
        WebhookDelivery::Pending => "sending…".to_owned(),
        WebhookDelivery::Delivered { attempt, status } => {
            format!("delivered (try {attempt}, HTTP {status})")
        }
        WebhookDelivery::Failed { attempts, error } => {
            format!("failed after {attempts} tries: {error}")
        }
    }
}

/// How a firing's webhook went, in words.
pub fn delivery_text(fired: &AlertFired) -> String {
    match &fired.webhook {
        _ if fired.muted => "muted".to_owned(),
        None => "—".to_owned(),
        Some(delivery) => webhook_text(delivery),
    }
}

fn delivery_state(fired: &AlertFired) -> &'static str {
    match &fired.webhook {
        _ if fired.muted => "muted",
        None => "none",
        Some(WebhookDelivery::Pending) => "pending",
        Some(WebhookDelivery::Delivered { .. }) => "delivered",
        Some(WebhookDelivery::Failed { .. }) => "failed",
    }
}

/// The form's fields as typed.
#[derive(Clone, Copy)]
struct Form {
    kind: RwSignal<String>,
    market: RwSignal<String>,
    field: RwSignal<String>,
    direction: RwSignal<String>,
    level: RwSignal<String>,
    contracts: RwSignal<String>,
    window: RwSignal<String>,
    series: RwSignal<String>,
    seconds: RwSignal<String>,
}

impl Form {
    fn new() -> Form {
        Form {
            kind: RwSignal::new("price_cross".to_owned()),
            market: RwSignal::new(String::new()),
            field: RwSignal::new("bid".to_owned()),
            direction: RwSignal::new("above".to_owned()),
            level: RwSignal::new(String::new()),
            contracts: RwSignal::new("100".to_owned()),
            window: RwSignal::new("60".to_owned()),
            series: RwSignal::new(String::new()),
            seconds: RwSignal::new("30".to_owned()),
        }
    }

    /// The condition typed, or what is wrong with it (the server checks it again).
    fn condition(&self) -> Result<Condition, String> {
        let market = || {
            let t = MarketTicker::from(self.market.get_untracked().trim().to_uppercase());
            if t.is_well_formed() {
                Ok(t)
            } else {
                Err("enter a market ticker".to_owned())
            }
        };
        let optional_market = || {
            let text = self.market.get_untracked();
            if text.trim().is_empty() {
                Ok(None)
            } else {
                market().map(Some)
            }
        };
        let level = || {
            self.level
                .get_untracked()
                .trim()
                .trim_start_matches('$')
                .parse::<Dollars>()
                .map_err(|_| "the level is a dollar price, e.g. 0.60".to_owned())
        };
        let direction = || match self.direction.get_untracked().as_str() {
            "below" => Direction::Below,
            _ => Direction::Above,
        };
        let whole = |s: RwSignal<String>, what: &str| {
            s.get_untracked()
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("{what} is a whole number"))
        };
        Ok(match self.kind.get_untracked().as_str() {
            "price_cross" => Condition::PriceCross {
                market_ticker: market()?,
                field: match self.field.get_untracked().as_str() {
                    "ask" => PriceField::Ask,
                    "last" => PriceField::Last,
                    _ => PriceField::Bid,
                },
                direction: direction(),
                level: level()?,
            },
            "spread" => Condition::Spread {
                market_ticker: market()?,
                direction: direction(),
                level: level()?,
            },
            "volume_burst" => Condition::VolumeBurst {
                market_ticker: market()?,
                contracts: self
                    .contracts
                    .get_untracked()
                    .trim()
                    .parse::<Count>()
                    .map_err(|_| "contracts is a number".to_owned())?,
                window_secs: whole(self.window, "the window")?,
            },
            "fill" => Condition::Fill {
                market_ticker: optional_market()?,
            },
            "exchange_cancel" => Condition::ExchangeCancel {
                market_ticker: optional_market()?,
            },
            "rfq" => Condition::Rfq {
                series_ticker: self.series.get_untracked().trim().to_uppercase(),
            },
            "halted" => Condition::Halted,
            _ => Condition::UpstreamDown {
                seconds: whole(self.seconds, "the wait")?,
            },
        })
    }
}

/// The top bar's button: opens the panel, with the count of firings not seen yet.
#[component]
pub fn AlertsButton() -> impl IntoView {
    let alerts = use_alerts();
    view! {
        <button class="btn btn-ghost btn-small" data-testid="alerts-toggle"
            class:active=move || alerts.open.get()
            on:click=move |_| {
                alerts.open.update(|o| *o = !*o);
                alerts.unseen.set(0);
            }>
            "Alerts"
            <Show when=move || { alerts.unseen.get() > 0 }>
                <span class="badge" data-testid="alerts-unseen">{move || alerts.unseen.get()}</span>
            </Show>
        </button>
    }
}

/// The alerts panel (an overlay while open).
#[component]
pub fn AlertsPanel() -> impl IntoView {
    let alerts = use_alerts();
    let market = use_market();
    let rules = RwSignal::new(Vec::<AlertRule>::new());
    let reload = move || {
        spawn_local(async move {
            if let Ok(r) = api::alert_rules().await {
                rules.set(r);
            }
        });
    };
    reload();
    spawn_local(async move {
        if let Ok(log) = api::alert_log().await {
            alerts.log.set(log);
        }
    });
    let form = Form::new();
    if let Some(t) = market.selected.get_untracked() {
        form.market.set(t.to_string());
    }
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let condition = match form.condition() {
            Ok(c) => c,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        error.set(None);
        spawn_local(async move {
            match api::create_alert_rule(&NewAlertRule {
                condition,
                muted: false,
            })
            .await
            {
                Ok(rule) => rules.update(|r| r.push(rule)),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let kind = move || form.kind.get();
    let needs_market = move || {
        matches!(
            kind().as_str(),
            "price_cross" | "spread" | "volume_burst" | "fill" | "exchange_cancel"
        )
    };
    let needs_level = move || matches!(kind().as_str(), "price_cross" | "spread");

    view! {
        <div class="alerts-overlay" data-testid="alerts-panel">
            <div class="alerts-pane">
                <div class="pane-head">
                    <span class="pane-title">"Alerts"</span>
                    <span class="muted">"evaluated by the desk: they fire with every tab closed"</span>
                    <div class="spacer"></div>
                    <button class="btn btn-ghost btn-small" data-testid="alerts-close"
                        on:click=move |_| alerts.open.set(false)>"Close"</button>
                </div>
                <form class="inline-form alert-form" on:submit=add novalidate=true>
                    <select data-testid="alert-kind" prop:value=move || form.kind.get()
                        on:change=move |ev| form.kind.set(event_target_value(&ev))>
                        <option value="price_cross">"Price crosses"</option>
                        <option value="spread">"Spread"</option>
                        <option value="volume_burst">"Volume burst"</option>
                        <option value="fill">"Fill"</option>
                        <option value="exchange_cancel">"Cancelled by the exchange"</option>
                        <option value="rfq">"RFQ on a series"</option>
                        <option value="halted">"Desk or user halted"</option>
                        <option value="upstream_down">"Kalshi connection down"</option>
                    </select>
                    <Show when=needs_market>
                        <input class="ticker-input" data-testid="alert-market" type="text" autocomplete="off"
                            placeholder=move || if matches!(kind().as_str(), "fill" | "exchange_cancel") { "any market" } else { "market ticker" }
                            prop:value=move || form.market.get()
                            on:input=move |ev| form.market.set(event_target_value(&ev))/>
                    </Show>
                    <Show when=move || kind() == "price_cross">
                        <select data-testid="alert-field" prop:value=move || form.field.get()
                            on:change=move |ev| form.field.set(event_target_value(&ev))>
                            <option value="bid">"YES bid"</option>
                            <option value="ask">"YES ask"</option>
                            <option value="last">"Last"</option>
                        </select>
                    </Show>
                    <Show when=needs_level>
                        <select data-testid="alert-direction" prop:value=move || form.direction.get()
                            on:change=move |ev| form.direction.set(event_target_value(&ev))>
                            <option value="above">{move || if kind() == "spread" { "at least" } else { "at or above" }}</option>
                            <option value="below">{move || if kind() == "spread" { "at most" } else { "at or below" }}</option>
                        </select>
                        <label class="muted">"$"</label>
                        <input class="small-input" data-testid="alert-level" type="text" inputmode="decimal"
                            autocomplete="off" placeholder="0.60"
                            prop:value=move || form.level.get()
                            on:input=move |ev| form.level.set(event_target_value(&ev))/>
                    </Show>
                    <Show when=move || kind() == "volume_burst">
                        <input class="small-input" data-testid="alert-contracts" type="text" inputmode="numeric"
                            prop:value=move || form.contracts.get()
                            on:input=move |ev| form.contracts.set(event_target_value(&ev))/>
                        <label class="muted">"contracts within"</label>
                        <input class="small-input" data-testid="alert-window" type="text" inputmode="numeric"
                            prop:value=move || form.window.get()
                            on:input=move |ev| form.window.set(event_target_value(&ev))/>
                        <label class="muted">"s"</label>
                    </Show>
                    <Show when=move || kind() == "rfq">
                        <input class="small-input" data-testid="alert-series" type="text" autocomplete="off"
                            placeholder="series, e.g. KXFED"
                            prop:value=move || form.series.get()
                            on:input=move |ev| form.series.set(event_target_value(&ev))/>
                    </Show>
                    <Show when=move || kind() == "upstream_down">
                        <label class="muted">"for"</label>
                        <input class="small-input" data-testid="alert-seconds" type="text" inputmode="numeric"
                            prop:value=move || form.seconds.get()
                            on:input=move |ev| form.seconds.set(event_target_value(&ev))/>
                        <label class="muted">"s"</label>
                    </Show>
                    <button class="btn btn-small" type="submit" data-testid="alert-add">"Add alert"</button>
                </form>
                <Show when=move || error.get().is_some()>
                    <div class="form-error" data-testid="alert-error">{move || error.get().unwrap_or_default()}</div>
                </Show>
                <table class="grid" data-testid="alert-rules">
                    <tbody>
                        <For each=move || rules.get() key=|r| (r.id, r.muted) let:rule>
                            <RuleRow rule=rule rules=rules/>
                        </For>
                    </tbody>
                </table>
                <Show when=move || rules.with(Vec::is_empty)>
                    <div class="empty">"No alerts yet."</div>
                </Show>
                <Delivery/>
                <div class="pane-head"><span class="pane-title">"Log"</span></div>
                <table class="grid" data-testid="alert-log">
                    <thead>
                        <tr><th>"Time"</th><th>"Alert"</th><th>"What happened"</th><th>"Webhook"</th></tr>
                    </thead>
                    <tbody>
                        <For each=move || alerts.log.get()
                            key=|f| (f.id, f.ts_ms, delivery_text(f))
                            let:fired>
                            <tr data-testid="alert-log-row" data-rule-id=fired.rule_id
                                data-webhook=delivery_state(&fired) class:muted=fired.muted>
                                <td>{clock_ms(fired.ts_ms)}</td>
                                <td>{fired.title.clone()}</td>
                                <td data-testid="alert-log-detail">{fired.detail.clone()}</td>
                                <td data-testid="alert-log-webhook">{delivery_text(&fired)}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[component]
fn RuleRow(rule: AlertRule, rules: RwSignal<Vec<AlertRule>>) -> impl IntoView {
    let id = rule.id;
    let muted = rule.muted;
    let mute = move |_| {
        spawn_local(async move {
            if api::mute_alert_rule(id, !muted).await.is_ok() {
                rules.update(|r| {
                    if let Some(x) = r.iter_mut().find(|x| x.id == id) {
                        x.muted = !muted;
                    }
                });
            }
        });
    };
    let delete = move |_| {
        spawn_local(async move {
            if api::delete_alert_rule(id).await.is_ok() {
                rules.update(|r| r.retain(|x| x.id != id));
            }
        });
    };
    view! {
        <tr data-testid="alert-rule" data-rule-id=id data-muted=muted.to_string() class:muted=muted>
            <td>{rule.condition.describe()}</td>
            <td>
                <button class="btn btn-ghost btn-small" data-testid="alert-mute" on:click=mute>
                    {if muted { "Unmute" } else { "Mute" }}
                </button>
                <button class="btn btn-ghost btn-small" data-testid="alert-delete" on:click=delete>"Delete"</button>
            </td>
        </tr>
    }
}

/// The webhook and desktop notification settings.
#[component]
fn Delivery() -> impl IntoView {
    let url = RwSignal::new(String::new());
    let result = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(s) = api::alert_settings().await {
            url.set(s.webhook_url.unwrap_or_default());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = AlertSettings {
            webhook_url: Some(url.get_untracked()),
        };
        spawn_local(async move {
            match api::save_alert_settings(&settings).await {
                Ok(s) => result.set(Some(if s.webhook_url.is_some() {
                    "Webhook saved.".to_owned()
                } else {
                    "Webhook removed.".to_owned()
                })),
                Err(e) => result.set(Some(e.to_string())),
            }
        });
    };
    let test = move |_| {
        result.set(Some("Sending a test…".to_owned()));
        spawn_local(async move {
            match api::test_alert_webhook().await {
                Ok(t) => result.set(Some(format!("Test: {}", webhook_text(&t.delivery)))),
                Err(e) => result.set(Some(e.to_string())),
            }
        });
    };
    let permission = RwSignal::new(web_sys::Notification::permission());
    let ask = move |_| {
        // Asked once, from this click: a browser that said no is not asked again.
        if let Ok(promise) = web_sys::Notification::request_permission() {
            spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                permission.set(web_sys::Notification::permission());
            });
        }
    };
    view! {
        <form class="inline-form" on:submit=save novalidate=true>
            <label class="muted" for="webhook-url">"Webhook"</label>
            <input id="webhook-url" class="url-input" data-testid="webhook-url" type="url" autocomplete="off"
                placeholder="https://… (a JSON POST per alert)"
                prop:value=move || url.get()
                on:input=move |ev| url.set(event_target_value(&ev))/>
            <button class="btn btn-small" type="submit" data-testid="webhook-save">"Save"</button>
            <button class="btn btn-ghost btn-small" type="button" data-testid="webhook-test" on:click=test>"Send a test"</button>
            <span class="muted" data-testid="webhook-result">{move || result.get().unwrap_or_default()}</span>
        </form>
        <div class="inline-form">
            <span class="muted">"Desktop notifications: "</span>
            <span data-testid="notify-state">{move || permission_text(permission.get())}</span>
            <Show when=move || permission.get() == web_sys::NotificationPermission::Default>
                <button class="btn btn-ghost btn-small" type="button" data-testid="notify-enable" on:click=ask>
                    "Allow desktop notifications"
                </button>
            </Show>
        </div>
    }
}
