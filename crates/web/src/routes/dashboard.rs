//! The dashboard: one user's book (a manager may look at each member's, an admin at anyone's)
//! per company: total AR, past due and its share, DSO, ADL, the aging and the projected
//! receipts, and the user's open and past-due actions.

use std::collections::HashMap;

use arrears_domain::Value;
use arrears_domain::value::{ADP_NAMES, AGE_NAMES, DUE_NAMES, PROJ_NAMES, figure_values};
use arrears_domain::{Figures, Role, Settings};
use arrears_store::Viewer;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{Bearer, Caller, Signed};
use crate::grid::json_value;
use crate::pages::{Bar, CompanyCard, DashboardPage, Nav, display, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/api/v1/dashboard", get(api))
}

#[derive(Debug, Default, Deserialize)]
struct DashboardQuery {
    /// Whose dashboard: the caller's unless a manager or admin names another.
    user: Option<String>,
    /// `invoice` (the default) or `due`: which dates the aging chart uses.
    by: Option<String>,
    /// `dso` (the default) or `adp`: the six-month trend drawn.
    trend: Option<String>,
}

impl DashboardQuery {
    fn trend(&self) -> Trend {
        match self.trend.as_deref() {
            Some("adp") => Trend::Adp,
            _ => Trend::Dso,
        }
    }
}

/// The user whose dashboard is asked for, if the caller may see it: a manager their team's,
/// an admin anyone's; anyone else only their own. Others are not found.
async fn whose(
    app: &AppState,
    caller: &Caller,
    wanted: Option<&str>,
) -> Result<(String, Role), WebError> {
    let Some(user) = wanted.filter(|u| *u != caller.user_id) else {
        return Ok((caller.user_id.clone(), caller.role));
    };
    crate::auth::stored_text(&[user])?;
    let account = app.store.account(user).await?.ok_or(WebError::NotFound)?;
    let allowed = match caller.role {
        Role::Admin => true,
        Role::Manager => account.manager.as_deref() == Some(caller.user_id.as_str()),
        _ => false,
    };
    let role = account.role.parse().map_err(|_| WebError::NotFound)?;
    if allowed {
        Ok((account.user_id, role))
    } else {
        Err(WebError::NotFound)
    }
}

/// One company's figures, by name, and its trend by month.
struct Book {
    company_id: String,
    values: HashMap<&'static str, Value>,
    trend: Vec<(String, Option<Decimal>)>,
}

/// What a dashboard shows.
struct Summary {
    user_id: String,
    books: Vec<Book>,
    open_actions: usize,
    past_due_actions: usize,
}

/// Whether the trend is drawn, and whether to wait for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    No,
    /// The API: it was asked for, so wait.
    Wait(Trend),
    /// A page: draw it if it is ready.
    IfReady(Trend),
}

async fn summary(
    app: &AppState,
    caller: &Caller,
    user: Option<&str>,
    wanted: Wanted,
) -> Result<Summary, WebError> {
    let (user_id, role) = whose(app, caller, user).await?;
    let as_of = app.as_of();
    let viewer = Viewer {
        user_id: &user_id,
        role,
    };
    let seen = app.store.seen_users(viewer).await?;
    let snapshot = app.books.snapshot(&app.store, as_of).await?;
    let settings = app.store.settings().await?;
    let (trend, months) = match wanted {
        Wanted::No => (None, Vec::new()),
        Wanted::Wait(t) => (
            Some(t),
            app.books.trend(&app.store, as_of).await?.seen(&seen),
        ),
        Wanted::IfReady(t) => match app.books.trend_if_ready(&app.store, as_of).await? {
            Some(ready) => (Some(t), ready.seen(&seen)),
            None => (None, Vec::new()),
        },
    };
    let books = snapshot
        .totals_seen(&seen)
        .iter()
        .map(|(company, figures)| {
            let mut b = book(company, figures, &settings);
            if let Some(which) = trend {
                b.trend = months
                    .iter()
                    .map(|(day, totals)| {
                        let f = totals.get(company).cloned().unwrap_or_default();
                        let value = match which {
                            Trend::Dso => f.dso(),
                            Trend::Adp => f.to_pay.value(),
                        };
                        (day.format("%Y-%m").to_string(), value)
                    })
                    .collect();
            }
            b
        })
        .collect();
    let (open_actions, past_due_actions) = app.store.queue_counts(&user_id, as_of).await?;
    Ok(Summary {
        user_id,
        books,
        open_actions: usize::try_from(open_actions).unwrap_or(0),
        past_due_actions: usize::try_from(past_due_actions).unwrap_or(0),
    })
}

/// Which six-month trend the dashboard draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trend {
    Dso,
    Adp,
}

fn book(company: &str, figures: &Figures, settings: &Settings) -> Book {
    let mut values: HashMap<&'static str, Value> =
        figure_values(figures, None, settings).into_iter().collect();
    let share = match (values.get("total_past_due"), values.get("total_age")) {
        (Some(Value::Money(due)), Some(Value::Money(total))) if !total.to_decimal().is_zero() => {
            Value::Rate(past_due_share(due.to_decimal(), total.to_decimal()))
        }
        _ => Value::None,
    };
    values.insert("past_due_share", share);
    Book {
        company_id: company.to_owned(),
        values,
        trend: Vec::new(),
    }
}

/// Past due as a percentage of the total, to two decimals.
fn past_due_share(past_due: Decimal, total: Decimal) -> Decimal {
    (past_due * Decimal::ONE_HUNDRED / total)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The headline figures each company's card shows, in order.
const HEADLINE: [&str; 6] = [
    "total_age",
    "total_past_due",
    "past_due_share",
    "dso",
    "avg_days_late",
    "avg_days_to_pay_total",
];

async fn api(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Query(q): Query<DashboardQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let wanted = match q.trend {
        Some(_) => Wanted::Wait(q.trend()),
        None => Wanted::No,
    };
    let s = summary(&app, &caller, q.user.as_deref(), wanted).await?;
    let companies: Vec<serde_json::Value> = s
        .books
        .iter()
        .map(|b| {
            let mut map = serde_json::Map::new();
            map.insert("company_id".into(), b.company_id.clone().into());
            let names = HEADLINE
                .iter()
                .chain(&AGE_NAMES)
                .chain(&DUE_NAMES)
                .chain(&PROJ_NAMES)
                .chain(&ADP_NAMES)
                .chain(&["avg_days_late_weighted"]);
            for name in names {
                let v = b.values.get(name).cloned().unwrap_or(Value::None);
                map.insert((*name).to_owned(), json_value(&v));
            }
            if !b.trend.is_empty() {
                let trend: Vec<serde_json::Value> = b
                    .trend
                    .iter()
                    .map(|(month, v)| {
                        serde_json::json!({"month": month, "value": json_value(&(*v).into())})
                    })
                    .collect();
                map.insert("trend".to_owned(), trend.into());
            }
            serde_json::Value::Object(map)
        })
        .collect();
    Ok(Json(serde_json::json!({
        "user_id": s.user_id,
        "as_of": app.as_of().to_string(),
        "open_actions": s.open_actions,
        "past_due_actions": s.past_due_actions,
        "companies": companies,
    })))
}

/// The money figures `names` of a book: (name, amount, as shown).
fn money_of(book: &Book, names: &[&str]) -> Vec<(String, Decimal, String)> {
    names
        .iter()
        .map(|n| {
            let v = book.values.get(n).cloned().unwrap_or(Value::None);
            let amount = match &v {
                Value::Money(m) => m.to_decimal(),
                _ => Decimal::ZERO,
            };
            ((*n).to_owned(), amount, display(&v))
        })
        .collect()
}

/// The rate figures `names` of a book (days, averages): (name, value, as shown).
fn rates_of(book: &Book, names: &[&str]) -> Vec<(String, Decimal, String)> {
    names
        .iter()
        .map(|n| {
            let v = book.values.get(n).cloned().unwrap_or(Value::None);
            let value = match &v {
                Value::Rate(r) => *r,
                _ => Decimal::ZERO,
            };
            ((*n).to_owned(), value, display(&v))
        })
        .collect()
}

/// Bars for `(label, value, as shown)`, the longest 100 wide; nothing below zero is drawn.
fn bars(values: &[(String, Decimal, String)]) -> Vec<Bar> {
    let max = values.iter().map(|v| v.1).max().unwrap_or_default();
    values
        .iter()
        .enumerate()
        .map(|(i, (label, value, shown))| {
            let width = if max > Decimal::ZERO && *value > Decimal::ZERO {
                (value * Decimal::ONE_HUNDRED / max)
                    .round()
                    .try_into()
                    .unwrap_or(0i64)
            } else {
                0
            };
            Bar {
                label: label.clone(),
                amount: shown.clone(),
                width,
                y: i64::try_from(i).unwrap_or(0) * 22,
            }
        })
        .collect()
}

async fn page(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<DashboardQuery>,
) -> Result<Html<String>, PageError> {
    let trend = q.trend();
    let s = summary(&app, &caller, q.user.as_deref(), Wanted::IfReady(trend)).await?;
    let by_due = q.by.as_deref() == Some("due");
    let aging: &[&str] = if by_due { &DUE_NAMES } else { &AGE_NAMES };
    let cards = s
        .books
        .iter()
        .map(|b| CompanyCard {
            company_id: b.company_id.clone(),
            headline: HEADLINE
                .iter()
                .map(|n| {
                    let v = b.values.get(n).cloned().unwrap_or(Value::None);
                    ((*n).to_owned(), display(&v))
                })
                .collect(),
            aging: bars(&money_of(b, aging)),
            late: bars(&money_of(b, &DUE_NAMES[1..])),
            projected: bars(&money_of(b, &PROJ_NAMES)),
            to_pay: bars(&rates_of(b, &ADP_NAMES)),
            trend: bars(
                &b.trend
                    .iter()
                    .map(|(month, v)| (month.clone(), v.unwrap_or_default(), display(&(*v).into())))
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    let team = if caller.role == Role::Manager || caller.role == Role::Admin {
        app.store
            .accounts()
            .await?
            .into_iter()
            .filter(|a| {
                caller.role == Role::Admin || a.manager.as_deref() == Some(caller.user_id.as_str())
            })
            .map(|a| a.user_id)
            .collect()
    } else {
        Vec::new()
    };
    render(&DashboardPage {
        nav: Nav::new(&caller, "dashboard"),
        as_of: app.as_of(),
        user_id: s.user_id,
        by_due,
        adp_trend: trend == Trend::Adp,
        cards,
        open_actions: s.open_actions,
        past_due_actions: s.past_due_actions,
        team,
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    #[test]
    fn past_due_share_is_a_percentage_to_two_decimals() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(super::past_due_share(d("250"), d("1000")), d("25.00"));
        assert_eq!(super::past_due_share(d("1"), d("3")), d("33.33"));
        assert_eq!(super::past_due_share(d("2"), d("3")), d("66.67"));
    }
}
