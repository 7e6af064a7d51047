//! The pages' templates and what every page shares: the navigation bar and its search box,
//! how values are shown, grids and charts.

mod account;
mod admin;
mod communication;
mod dashboard;
mod lists;

pub use account::{AccountPage, STATEMENT_COLUMNS};
pub use admin::{
    AdminPage, ChangeLine, EventLogPage, GeneratePage, LogLine, MatchLine, MePage, PreviewPart,
    RulePage, SettingLine, SetupPage, SyncPage, UserLine, UsersPage,
};
pub use communication::{
    CommunicatePage, CommunicationForm, DisputeLine, EventLine, ExpectedLine, HistoryLine,
    InvoicePage, PlanView, TagOption, TypeOption, account_link,
};
pub use dashboard::{CompanyCard, DashboardPage};
pub use lists::{AccountsPage, ActionsPage, CountsPage, IssueLine, UserActionTypesPage};

use arrears_domain::filter::Type;
use arrears_domain::{Settings, Value};
use askama::Template;
use axum::response::Html;

use crate::auth::Caller;
use crate::{PageError, WebError};

/// The bar at the top of every signed-in page.
pub struct Nav {
    pub user_id: String,
    pub user_name: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf: String,
    /// Which section is open: `dashboard`, `accounts`, `actions`, `admin`.
    pub current: &'static str,
}

impl Nav {
    pub fn new(caller: &Caller, current: &'static str) -> Nav {
        Nav {
            user_id: caller.user_id.clone(),
            user_name: caller.name.clone(),
            role: caller.role.as_str(),
            admin: caller.role.administers(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            current,
        }
    }
}

/// Renders a page.
pub fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render()
        .map(Html)
        .map_err(|e| PageError(WebError::Internal(format!("cannot render a page: {e}"))))
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A customer's credit scores as every page about it shows them: the score with its range's
/// name and colour at the top, and each score (the customer's, the bureaus') by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scores {
    pub score: Option<String>,
    pub range: Option<String>,
    /// The range's colour; `none` outside every range.
    pub colour: &'static str,
    pub all: Vec<Pair>,
}

impl Scores {
    /// From the customer's `credit_score` and `bureau_score_1` … `_3` (`text`), the bureaus'
    /// names and the ranges of the settings.
    pub fn new<'a>(text: impl Fn(&str) -> Option<&'a str>, settings: &Settings) -> Scores {
        let score = text("credit_score").map(str::to_owned);
        let range = score
            .as_deref()
            .and_then(|s| settings.score_ranges.range_of(s));
        let mut all: Vec<Pair> = Vec::new();
        if let Some(s) = &score {
            all.push(Pair {
                name: "credit_score".to_owned(),
                value: s.clone(),
            });
        }
        for n in 1..=3 {
            if let Some(v) = text(&format!("bureau_score_{n}")) {
                all.push(Pair {
                    name: settings
                        .credit_bureaus
                        .get(n - 1)
                        .cloned()
                        .unwrap_or_else(|| format!("bureau_score_{n}")),
                    value: v.to_owned(),
                });
            }
        }
        Scores {
            range: range.map(|r| r.name.clone()),
            colour: range.map_or("none", |r| r.colour),
            score,
            all,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub csrf: String,
    pub next: String,
    pub user_id: String,
    pub problem: Option<String>,
}

/// A value as a page shows it: money with thousands separators, rates with two decimals.
pub fn display(value: &Value) -> String {
    match value {
        Value::Money(m) => group_thousands(&m.to_string()),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

fn group_thousands(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// A column of a grid.
pub struct Column {
    pub name: String,
    pub numeric: bool,
}

impl Column {
    pub fn new(name: &str, ty: Type) -> Column {
        Column {
            name: name.to_owned(),
            numeric: ty.is_number(),
        }
    }
}

/// One row of a grid: where it leads and its cells as shown.
pub struct GridRow {
    pub link: String,
    pub cells: Vec<String>,
}

/// A label and a value as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub name: String,
    pub value: String,
}

/// One bar of a chart drawn in SVG on the server.
pub struct Bar {
    pub label: String,
    pub amount: String,
    /// Out of 100.
    pub width: i64,
    pub y: i64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::url_encode("/accounts?filter=a > 1&x"),
            "%2Faccounts%3Ffilter%3Da%20%3E%201%26x"
        );
    }
}
