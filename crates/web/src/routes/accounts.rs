//! My Accounts: the customers the caller sees, filtered in the rules' language, sorted,
//! paged and totalled, with the chosen columns, opening the user's default view (`views.rs`);
//! the filtered list exported as CSV or XLSX.

use arrears_domain::filter::{Row, View};
use arrears_store::SavedView;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::customers::seen;
use crate::auth::Signed;
use crate::grid::{Dated, ListQuery, Listing, Page, unknown_field};
use crate::pages::{AccountsPage, Column, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/accounts.csv", get(accounts_csv))
        .route("/accounts.xlsx", get(accounts_xlsx))
}

/// The columns My Accounts shows until the user chooses others.
pub const DEFAULT_COLUMNS: [&str; 10] = [
    "customer_id",
    "name",
    "assigned_user",
    "credit_limit",
    "total_age",
    "total_past_due",
    "over_30",
    "over_90",
    "avg_days_late",
    "open_issue_cnt",
];

/// My Accounts' query: the list's, plus the chosen columns.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountsQuery {
    #[serde(flatten)]
    pub list: ListQuery,
    pub columns: Option<String>,
    /// A saved view to open.
    pub view: Option<String>,
    /// How many customers an assignment just moved (shown once, after it).
    pub moved: Option<String>,
}

impl AccountsQuery {
    /// The chosen columns' slots, or the problem with them.
    fn columns(&self) -> Result<Vec<usize>, String> {
        let catalog = View::Customer.catalog();
        let names: Vec<&str> = match self.columns.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_COLUMNS.to_vec(),
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect(),
        };
        names
            .iter()
            .map(|n| {
                catalog
                    .slot(n)
                    .ok_or_else(|| unknown_field("columns", n, catalog))
            })
            .collect()
    }
}

/// The filtered, sorted list, and what was wrong with the query if anything.
pub struct Checked {
    pub listing: Option<Listing>,
    pub columns: Vec<usize>,
    pub problems: Vec<(&'static str, String)>,
}

pub fn check(q: &AccountsQuery) -> Checked {
    let mut problems = Vec::new();
    let listing = match q.list.check(View::Customer) {
        Ok(l) => Some(l),
        Err(e) => {
            let text = e.to_string();
            let field = ["filter", "sort", "page", "per_page"]
                .into_iter()
                .find(|f| text.starts_with(&format!("{f}:")))
                .unwrap_or("filter");
            problems.push((field, text));
            None
        }
    };
    let columns = match q.columns() {
        Ok(columns) if !columns.is_empty() => columns,
        Ok(_) => AccountsQuery::default().columns().unwrap_or_default(),
        Err(e) => {
            problems.push(("columns", e));
            AccountsQuery::default().columns().unwrap_or_default()
        }
    };
    Checked {
        listing,
        columns,
        problems,
    }
}

impl AccountsQuery {
    /// Whether the query asks for nothing: My Accounts then opens the default view.
    fn is_empty(&self) -> bool {
        let l = &self.list;
        [
            &l.filter,
            &l.sort,
            &l.page,
            &l.per_page,
            &self.columns,
            &self.view,
        ]
        .iter()
        .all(|v| v.is_none())
    }

    pub(super) fn of_view(v: &SavedView) -> AccountsQuery {
        let given = |t: &str| (!t.is_empty()).then(|| t.to_owned());
        AccountsQuery {
            list: ListQuery {
                filter: given(&v.filter),
                sort: given(&v.sort),
                page: None,
                per_page: given(&v.per_page),
            },
            columns: given(&v.columns),
            view: Some(v.name.clone()),
            moved: None,
        }
    }
}

/// The query to run: the one given, or the saved view it names, or the user's default view
/// when none is given; the views, and a problem with the named view.
async fn resolve(
    app: &AppState,
    user: &str,
    q: AccountsQuery,
) -> Result<(AccountsQuery, Vec<SavedView>, Option<String>), WebError> {
    let views = app.store.saved_views(user).await?;
    let named = q.view.as_deref().filter(|v| !v.is_empty());
    let chosen = match named {
        Some(name) => views.iter().find(|v| v.name == name),
        None if q.is_empty() => views.iter().find(|v| v.is_default),
        None => None,
    };
    let problem = match (named, chosen) {
        (Some(name), None) => Some(format!("view: you have no view named {name:?}")),
        _ => None,
    };
    let q = match chosen {
        // A page of a saved view keeps the view's query and moves only the page.
        Some(v) => AccountsQuery {
            list: ListQuery {
                page: q.list.page.clone(),
                ..AccountsQuery::of_view(v).list
            },
            ..AccountsQuery::of_view(v)
        },
        None => q,
    };
    Ok((q, views, problem))
}

async fn accounts(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    show(&app, &caller, q, None).await
}

/// My Accounts for a query, with a problem of the view form when a view was refused (then
/// the list is the typed query's, and the form keeps what was typed).
pub(super) async fn show(
    app: &AppState,
    caller: &crate::auth::Caller,
    q: AccountsQuery,
    refused: Option<(String, String)>,
) -> Result<Response, PageError> {
    let (q, views, view_problem) = resolve(app, &caller.user_id, q).await?;
    let checked = check(&q);
    let as_of = app.as_of();
    let catalog = View::Customer.catalog();
    let columns: Vec<Column> = checked
        .columns
        .iter()
        .map(|slot| Column::new(catalog.name(*slot), catalog.field_type(*slot)))
        .collect();
    let mut page = AccountsPage::new(Nav::new(caller, "accounts"), &q.list, columns, as_of);
    page.columns_text = q.columns.clone().unwrap_or_default();
    page.problems = checked.problems;
    page.view = q.view.clone().unwrap_or_default();
    page.views = views;
    page.moved = q.moved.as_deref().and_then(|m| m.parse().ok());
    page.assignable = super::assignments::assignable(app, caller).await?;
    let mut status = StatusCode::OK;
    if let Some(problem) = view_problem {
        page.problems.push(("view", problem));
        status = StatusCode::NOT_FOUND;
    }
    if let Some((name, problem)) = refused {
        page.view = name;
        page.view_problem = Some(problem);
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    match checked.listing {
        Some(listing) if page.problems.is_empty() => {
            let (snapshot, seen) = seen(app, caller).await?;
            match snapshot.page(&seen, &listing, &checked.columns) {
                Ok(result) => page.fill(&result, &checked.columns, &listing, |d| {
                    (d.facts.company_id.clone(), d.facts.customer_id.clone())
                }),
                Err(e) => {
                    status = e.status();
                    page.problems.push(("filter", e.to_string()));
                }
            }
        }
        _ if status == StatusCode::OK => status = StatusCode::UNPROCESSABLE_ENTITY,
        _ => {}
    }
    Ok((status, render(&page)?).into_response())
}

/// Every row of the filtered, sorted list (no paging) and the chosen columns' names.
async fn export(
    app: &AppState,
    caller: &crate::auth::Caller,
    q: AccountsQuery,
) -> Result<(Vec<String>, Vec<Vec<arrears_domain::Value>>), WebError> {
    let (q, _, problem) = resolve(app, &caller.user_id, q).await?;
    let mut checked = check(&q);
    if let Some(problem) = problem.or_else(|| checked.problems.first().map(|p| p.1.clone())) {
        return Err(WebError::Invalid(problem));
    }
    let Some(mut listing) = checked.listing.take() else {
        return Err(WebError::Invalid("the query cannot be run".to_owned()));
    };
    listing.page = 1;
    listing.per_page = usize::MAX;
    let (snapshot, seen) = seen(app, caller).await?;
    let result: Page<Dated> = snapshot.page(&seen, &listing, &[])?;
    let catalog = View::Customer.catalog();
    let names = checked
        .columns
        .iter()
        .map(|s| catalog.name(*s).to_owned())
        .collect();
    let rows = result
        .rows
        .iter()
        .map(|row| {
            checked
                .columns
                .iter()
                .map(|s| row.cell(*s).to_value())
                .collect()
        })
        .collect();
    Ok((names, rows))
}

async fn accounts_csv(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    let (names, rows) = export(&app, &caller, q).await?;
    let mut out = String::new();
    let header: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &rows {
        let line: Vec<String> = row.iter().map(|v| csv_field(&v.to_string())).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"accounts.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

async fn accounts_xlsx(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    let (names, rows) = export(&app, &caller, q).await?;
    let book = crate::xlsx::workbook("Accounts", &names, &rows)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"accounts.xlsx\"",
            ),
        ],
        book,
    )
        .into_response())
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is neutralised so that a
/// spreadsheet never runs a customer's name as a formula.
pub(super) fn csv_field(text: &str) -> String {
    let risky = text.starts_with(['=', '+', '@'])
        || (text.starts_with('-') && text.parse::<rust_decimal::Decimal>().is_err());
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(super::csv_field("Acme, Inc"), "\"Acme, Inc\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::csv_field("-12.50"), "-12.50");
        assert_eq!(super::csv_field("-x"), "'-x");
    }

    #[test]
    fn the_default_columns_are_customer_fields() {
        let catalog = arrears_domain::filter::View::Customer.catalog();
        for c in super::DEFAULT_COLUMNS {
            assert!(catalog.slot(c).is_some(), "{c}");
        }
    }
}
