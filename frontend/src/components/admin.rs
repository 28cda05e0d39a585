//! The admin's panes (shown to admins only): users (add, re-role, disable, limits) and the
//! audit log (filter by user, operation and time; export CSV).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::auth::{
    AuditEntry, AuditQuery, DeskLimits, NewUser, Role, UserLimits, UserPatch, UserView,
};
use shared::num::Dollars;

use crate::api;

fn role_options() -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
        .collect_view()
}

/// Parses a dollar field: empty = no limit.
fn parse_dollars(what: &str, text: &str) -> Result<Option<Dollars>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<Dollars>() {
        Ok(d) if !d.is_negative() => Ok(Some(d)),
        _ => Err(format!("{what} {text:?} is not dollars")),
    }
}

/// Parses the limit fields of the add form: empty = no limit.
fn parse_limits(
    notional: &str,
    position: &str,
    series: &str,
    loss: &str,
) -> Result<UserLimits, String> {
    let notional = notional.trim();
    let position = position.trim();
    Ok(UserLimits {
        max_daily_loss: parse_dollars("max daily loss", loss)?,
        max_order_notional: if notional.is_empty() {
            None
        } else {
            Some(
                notional
                    .parse()
                    .map_err(|_| format!("max notional {notional:?} is not dollars"))?,
            )
        },
        max_position: if position.is_empty() {
            None
        } else {
            Some(
                position
                    .parse()
                    .map_err(|_| format!("max position {position:?} is not contracts"))?,
            )
        },
        allowed_series: series
            .split(',')
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
        allowed_subaccounts: Vec::new(),
    })
}

/// Users: the list with role select and enable/disable, and the add form.
#[component]
pub fn UsersPane() -> impl IntoView {
    let users = RwSignal::new(Vec::<UserView>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::users().await {
                Ok(list) => users.set(list),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    reload();
    let (name, password, role) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("viewer".to_owned()),
    );
    let (notional, position, series, loss) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let limits = match parse_limits(
            &notional.get_untracked(),
            &position.get_untracked(),
            &series.get_untracked(),
            &loss.get_untracked(),
        ) {
            Ok(l) => l,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let new = NewUser {
            username: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Viewer),
            limits,
        };
        spawn_local(async move {
            match api::create_user(&new).await {
                Ok(_) => {
                    name.set(String::new());
                    password.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let patch = move |id: i64, p: UserPatch| {
        error.set(None);
        spawn_local(async move {
            if let Err(e) = api::update_user(id, &p).await {
                error.set(Some(e.to_string()));
            }
            reload();
        });
    };
    let connection = crate::state::use_connection();
    let reason = RwSignal::new(String::new());
    let halt = move |user: Option<String>, rearm: bool| {
        error.set(None);
        let why = reason.get_untracked();
        spawn_local(async move {
            if let Err(e) = api::set_halt(user, why, rearm).await {
                error.set(Some(e.to_string()));
            }
        });
    };
    // The desk's daily loss limit and today's P&L (read on open and after a change).
    let desk_loss = RwSignal::new(String::new());
    let day = RwSignal::new(None::<shared::auth::DayPnl>);
    let read_day = move || {
        spawn_local(async move {
            if let Ok(l) = api::desk_limits().await {
                desk_loss.set(l.max_daily_loss.map(|d| d.to_string()).unwrap_or_default());
            }
            match api::pnl_today().await {
                Ok(p) => day.set(Some(p)),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    read_day();
    let set_desk_loss = move |_| {
        error.set(None);
        let limits = match parse_dollars("desk max daily loss", &desk_loss.get_untracked()) {
            Ok(max_daily_loss) => DeskLimits { max_daily_loss },
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        spawn_local(async move {
            match api::set_desk_limits(&limits).await {
                Ok(()) => read_day(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let desk_pnl = move || {
        day.with(|d| match d {
            Some(d) => {
                let pnl = d.desk.map_or_else(|| "—".to_owned(), |p| format!("${p}"));
                match d.desk_limit {
                    Some(l) => format!("Desk P&L today {pnl} (limit −${l})"),
                    None => format!("Desk P&L today {pnl}"),
                }
            }
            None => String::new(),
        })
    };
    let desk_halted = move || {
        connection
            .halts
            .with(|hs| hs.iter().any(|h| h.user.is_none()))
    };
    let user_halted = move |name: &str| {
        connection
            .halts
            .with(|hs| hs.iter().any(|h| h.user.as_deref() == Some(name)))
    };
    view! {
        <section class="pane admin-pane" data-testid="users-pane">
            <div class="pane-head"><span class="pane-title">"Users"</span></div>
            <div class="kill-switch" data-testid="kill-switch">
                <input placeholder="reason" data-testid="halt-reason" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                {move || if desk_halted() {
                    view! { <button class="btn btn-small" data-testid="desk-rearm" on:click=move |_| halt(None, true)>"Re-arm desk"</button> }.into_any()
                } else {
                    view! { <button class="btn btn-danger btn-small" data-testid="desk-halt"
                        title="Cancels every resting order in every subaccount, stops the RFQ rules, refuses new orders, quotes and accepts"
                        on:click=move |_| halt(None, false)>"HALT DESK"</button> }.into_any()
                }}
                <input placeholder="desk max daily loss $" data-testid="desk-loss" prop:value=move || desk_loss.get() on:input=move |ev| desk_loss.set(event_target_value(&ev))/>
                <button class="btn btn-small" data-testid="desk-loss-set" on:click=set_desk_loss>"Set"</button>
                <span class="muted" data-testid="desk-pnl">{desk_pnl}</span>
            </div>
            <form data-testid="user-add" on:submit=add>
                <input placeholder="username" data-testid="user-new-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <input type="password" placeholder="password" data-testid="user-new-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                <select data-testid="user-new-role" on:change=move |ev| role.set(event_target_value(&ev))>{role_options()}</select>
                <input placeholder="max notional $" data-testid="user-new-notional" prop:value=move || notional.get() on:input=move |ev| notional.set(event_target_value(&ev))/>
                <input placeholder="max position" data-testid="user-new-position" prop:value=move || position.get() on:input=move |ev| position.set(event_target_value(&ev))/>
                <input placeholder="series (comma)" data-testid="user-new-series" prop:value=move || series.get() on:input=move |ev| series.set(event_target_value(&ev))/>
                <input placeholder="max daily loss $" data-testid="user-new-loss" prop:value=move || loss.get() on:input=move |ev| loss.set(event_target_value(&ev))/>
                <button class="btn btn-small" type="submit" data-testid="user-add-submit">"Add user"</button>
            </form>
            <Show when=move || error.get().is_some()>
                <div class="form-error" data-testid="users-error">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <table class="grid" data-testid="users">
                <thead><tr><th>"User"</th><th>"Role"</th><th>"Limits"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || users.get() key=|u| (u.id, u.role, u.disabled, format!("{:?}", u.limits)) let:user>
                        {
                            let id = user.id;
                            let limits = {
                                let l = &user.limits;
                                let mut parts = Vec::new();
                                if let Some(n) = l.max_order_notional { parts.push(format!("≤ ${n}/order")); }
                                if let Some(p) = l.max_position { parts.push(format!("≤ {p} pos")); }
                                if !l.allowed_series.is_empty() { parts.push(l.allowed_series.join(",")); }
                                if let Some(d) = l.max_daily_loss { parts.push(format!("≤ ${d} loss/day")); }
                                if parts.is_empty() { "—".to_owned() } else { parts.join(" · ") }
                            };
                            let disabled = user.disabled;
                            let current = user.role.as_str();
                            view! {
                                <tr data-testid="user-row" data-username=user.username.clone() data-role=current data-disabled=disabled.to_string()>
                                    <td>{user.username.clone()}</td>
                                    <td>
                                        <select data-testid="user-role" on:change=move |ev| {
                                            if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                                patch(id, UserPatch { role: Some(r), ..UserPatch::default() });
                                            }
                                        }>
                                            {Role::ALL.into_iter().map(|r| view! {
                                                <option value=r.as_str() selected=r.as_str() == current>{r.as_str()}</option>
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td class="muted">{limits}</td>
                                    <td>
                                        {
                                            let name = user.username.clone();
                                            move || {
                                                let name = name.clone();
                                                if user_halted(&name) {
                                                    view! { <button class="btn btn-small" data-testid="user-rearm" on:click=move |_| halt(Some(name.clone()), true)>"Re-arm"</button> }.into_any()
                                                } else {
                                                    view! { <button class="btn btn-danger btn-small" data-testid="user-halt" on:click=move |_| halt(Some(name.clone()), false)>"Halt"</button> }.into_any()
                                                }
                                            }
                                        }
                                        <button class="btn btn-ghost btn-small" data-testid="user-toggle"
                                            on:click=move |_| patch(id, UserPatch { disabled: Some(!disabled), ..UserPatch::default() })>
                                            {if disabled { "Enable" } else { "Disable" }}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
    }
}

/// Milliseconds from a `datetime-local` value (`2026-12-02T05:30`, read as UTC), or `None`.
fn ms_from_input(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let date = js_sys::Date::parse(&format!("{s}Z"));
    // A timestamp, not money: the JS Date API answers a double.
    date.is_finite().then_some(date as i64)
}

/// The audit log: filters, rows, CSV export of the same filter.
#[component]
pub fn AuditPane() -> impl IntoView {
    let rows = RwSignal::new(Vec::<AuditEntry>::new());
    let error = RwSignal::new(None::<String>);
    let (user, operation) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let query = move || AuditQuery {
        user: Some(user.get())
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned()),
        operation: Some(operation.get())
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned()),
        from_ms: ms_from_input(&from.get()),
        to_ms: ms_from_input(&to.get()),
        limit: Some(500),
    };
    let load = move || {
        let q = query();
        spawn_local(async move {
            match api::audit(&q).await {
                Ok(r) => {
                    error.set(None);
                    rows.set(r);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    load();
    let csv_href = move || format!("/api/audit.csv?{}", api::audit_query(&query()));
    view! {
        <section class="pane admin-pane" data-testid="audit-pane">
            <div class="pane-head">
                <span class="pane-title">"Audit log"</span>
                <div class="spacer"></div>
                <a class="btn btn-ghost btn-small" data-testid="audit-csv" href=csv_href download="audit.csv">"Export CSV"</a>
            </div>
            <form data-testid="audit-filter" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load(); }>
                <input placeholder="user" data-testid="audit-user" prop:value=move || user.get() on:input=move |ev| user.set(event_target_value(&ev))/>
                <input placeholder="operation" data-testid="audit-operation" prop:value=move || operation.get() on:input=move |ev| operation.set(event_target_value(&ev))/>
                <label>"from (UTC)" <input type="datetime-local" data-testid="audit-from" on:input=move |ev| from.set(event_target_value(&ev))/></label>
                <label>"to (UTC)" <input type="datetime-local" data-testid="audit-to" on:input=move |ev| to.set(event_target_value(&ev))/></label>
                <button class="btn btn-small" type="submit" data-testid="audit-apply">"Filter"</button>
            </form>
            <Show when=move || error.get().is_some()>
                <div class="form-error" data-testid="audit-error">{move || error.get().unwrap_or_default()}</div>
            </Show>
            <table class="grid" data-testid="audit">
                <thead><tr><th>"Time (UTC)"</th><th>"Who"</th><th>"Operation"</th><th>"Outcome"</th><th>"Client order id"</th><th>"Body / error"</th></tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| (r.id, r.outcome.clone()) let:row>
                        <tr data-testid="audit-row" data-actor=row.actor.clone() data-operation=row.operation.clone() data-outcome=row.outcome.clone()>
                            <td>{crate::format::clock_ms(row.ts_ms)}</td>
                            <td>{row.actor.clone()}</td>
                            <td>{row.operation.clone()}</td>
                            <td>{format!("{}{}", row.outcome, row.status.map(|s| format!(" {s}")).unwrap_or_default())}</td>
                            <td>{row.client_order_id.clone().unwrap_or_default()}</td>
                            <td class="audit-body" title=row.body.clone()>{row.error.clone().unwrap_or_else(|| row.body.clone())}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_fields_parse_exactly() {
        let l = parse_limits("12.50", "100", " kxdesk, KXDESKFED ,", "250").unwrap();
        assert_eq!(l.max_daily_loss, Some("250".parse().unwrap()));
        assert_eq!(l.max_order_notional, Some("12.50".parse().unwrap()));
        assert_eq!(l.max_position, Some("100".parse().unwrap()));
        assert_eq!(l.allowed_series, ["KXDESK", "KXDESKFED"]);
        assert_eq!(parse_limits("", "", "", "").unwrap(), UserLimits::default());
        assert!(parse_limits("abc", "", "", "").is_err());
        assert!(parse_limits("", "", "", "-5").is_err());
    }
}
