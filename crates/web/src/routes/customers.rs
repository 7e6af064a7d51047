//! Customers: My Accounts, Account Detail, the CSV export, and their `/api/v1` JSON. Every
//! read goes through the caller's scope, in the query: a customer outside it is not found.

use arrears_actions::{customer_facts, open_items_of};
use arrears_domain::Value;
use arrears_domain::filter::{Row, View};
use arrears_domain::rules::{CustomerFacts, CustomerRow};
use arrears_store::{Queue, QueueItem, Scope};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::{Bearer, Caller, Signed, stored_text};
use crate::grid::{Dated, ListQuery, Listing, dated, json_page, json_row, unknown_field};
use crate::pages::{AccountPage, AccountsPage, Column, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/accounts.csv", get(accounts_csv))
        .route("/customers/{company_id}/{customer_id}", get(account))
        .route("/search", get(search))
        .route("/api/v1/customers", get(api_list))
        .route("/api/v1/customers/{company_id}/{customer_id}", get(api_one))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/invoices",
            get(api_invoices),
        )
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

/// The customers the caller sees, as of the business date.
async fn seen(app: &AppState, caller: &Caller) -> Result<Vec<Dated>, WebError> {
    let as_of = app.as_of();
    let seen = customer_facts(&app.store, Scope::ALL, Some(caller.viewer()), as_of).await?;
    Ok(dated(seen.customers, as_of))
}

/// One customer the caller sees, or not found.
async fn one(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
) -> Result<CustomerFacts, WebError> {
    let scope = Scope::customer(company, customer);
    customer_facts(&app.store, scope, Some(caller.viewer()), app.as_of())
        .await?
        .customers
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)
}

async fn api_list(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let listing = q.check(View::Customer)?;
    let page = listing.apply(seen(&app, &caller).await?, &[])?;
    Ok(Json(json_page(View::Customer, &page)))
}

async fn api_one(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    stored_text(&[&company, &customer])?;
    let facts = one(&app, &caller, &company, &customer).await?;
    let row = Dated {
        facts,
        as_of: app.as_of(),
    };
    Ok(Json(json_row(View::Customer, &row)))
}

async fn api_invoices(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    stored_text(&[&company, &customer])?;
    let listing = q.check(View::Invoice)?;
    let (_, items) = open_items_of(
        &app.store,
        &company,
        &customer,
        Some(caller.viewer()),
        app.as_of(),
    )
    .await?
    .ok_or(WebError::NotFound)?;
    let page = listing.apply(items, &[])?;
    Ok(Json(json_page(View::Invoice, &page)))
}

/// My Accounts' query: the list's, plus the chosen columns.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountsQuery {
    #[serde(flatten)]
    list: ListQuery,
    columns: Option<String>,
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
struct Checked {
    listing: Option<Listing>,
    columns: Vec<usize>,
    problems: Vec<(&'static str, String)>,
}

fn check(q: &AccountsQuery) -> Checked {
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

async fn accounts(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    let checked = check(&q);
    let as_of = app.as_of();
    let catalog = View::Customer.catalog();
    let columns: Vec<Column> = checked
        .columns
        .iter()
        .map(|slot| Column::new(catalog.name(*slot), catalog.field_type(*slot)))
        .collect();
    let mut page = AccountsPage::new(Nav::new(&caller, "accounts"), &q.list, columns, as_of);
    page.columns_text = q.columns.clone().unwrap_or_default();
    page.problems = checked.problems;
    let mut status = axum::http::StatusCode::OK;
    match checked.listing {
        Some(listing) if page.problems.is_empty() => {
            match listing.apply(seen(&app, &caller).await?, &checked.columns) {
                Ok(result) => page.fill(&result, &checked.columns, &listing, |d| {
                    (d.facts.company_id.clone(), d.facts.customer_id.clone())
                }),
                Err(e) => {
                    status = e.status();
                    page.problems.push(("filter", e.to_string()));
                }
            }
        }
        _ => status = axum::http::StatusCode::UNPROCESSABLE_ENTITY,
    }
    Ok((status, render(&page)?).into_response())
}

async fn accounts_csv(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    let mut checked = check(&q);
    if let Some((_, problem)) = checked.problems.first() {
        return Err(PageError(WebError::Invalid(problem.clone())));
    }
    let Some(mut listing) = checked.listing.take() else {
        return Err(PageError(WebError::Invalid("bad query".to_owned())));
    };
    listing.page = 1;
    listing.per_page = usize::MAX;
    let result = listing.apply(seen(&app, &caller).await?, &[])?;
    let catalog = View::Customer.catalog();
    let mut out = String::new();
    let header: Vec<String> = checked
        .columns
        .iter()
        .map(|s| csv_field(catalog.name(*s)))
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &result.rows {
        let line: Vec<String> = checked
            .columns
            .iter()
            .map(|s| csv_field(&row.cell(*s).to_value().to_string()))
            .collect();
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

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is neutralised so that a
/// spreadsheet never runs a customer's name as a formula.
fn csv_field(text: &str) -> String {
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

async fn account(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    stored_text(&[&company, &customer])?;
    let as_of = app.as_of();
    let (facts, items) = open_items_of(
        &app.store,
        &company,
        &customer,
        Some(caller.viewer()),
        as_of,
    )
    .await?
    .ok_or(WebError::NotFound)?;
    let issues: Vec<QueueItem> = app
        .store
        .work_queue(Queue::Customer(&company, &customer), false)
        .await?;
    let row = CustomerRow {
        facts: &facts,
        as_of,
    };
    let value = |name: &str| -> Value {
        View::Customer
            .catalog()
            .slot(name)
            .map_or(Value::None, |s| row.cell(s).to_value())
    };
    let page = AccountPage::new(
        Nav::new(&caller, "accounts"),
        &facts,
        value,
        &items,
        issues,
        as_of,
    );
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// Whether a customer answers a search: its id exactly, or its id or name containing the
/// words, whatever their case.
fn answers(facts: &CustomerFacts, wanted: &str) -> bool {
    let wanted = wanted.to_lowercase();
    let id = facts.customer_id.to_lowercase();
    let name = facts.name.to_lowercase();
    id == wanted
        || wanted
            .split_whitespace()
            .all(|w| id.contains(w) || name.contains(w))
}

/// Finds a customer in the caller's scope by id or name: one match opens it; several are
/// listed in My Accounts' grid.
async fn search(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let wanted = q.q.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let as_of = app.as_of();
    let found: Vec<Dated> = if wanted.is_empty() {
        Vec::new()
    } else {
        seen(&app, &caller)
            .await?
            .into_iter()
            .filter(|d| answers(&d.facts, &wanted))
            .collect()
    };
    if let [only] = found.as_slice() {
        let f = &only.facts;
        let target = format!(
            "/customers/{}/{}",
            crate::pages::url_encode(&f.company_id),
            crate::pages::url_encode(&f.customer_id)
        );
        return Ok(axum::response::Redirect::to(&target).into_response());
    }
    let query = AccountsQuery::default();
    let checked = check(&query);
    let catalog = View::Customer.catalog();
    let columns = checked
        .columns
        .iter()
        .map(|slot| Column::new(catalog.name(*slot), catalog.field_type(*slot)))
        .collect();
    let mut page = AccountsPage::new(Nav::new(&caller, "accounts"), &query.list, columns, as_of);
    page.search = Some(wanted);
    if let Some(listing) = checked.listing {
        let result = listing.apply(found, &checked.columns)?;
        page.fill(&result, &checked.columns, &listing, |d| {
            (d.facts.company_id.clone(), d.facts.customer_id.clone())
        });
    }
    Ok(render(&page)?.into_response())
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
    fn a_search_finds_ids_and_names_whatever_their_case() {
        let facts = arrears_domain::rules::CustomerFacts {
            customer_id: "C0000088".into(),
            name: "Harbor Hardware Co.".into(),
            ..Default::default()
        };
        for hit in ["c0000088", "harbor", "HARDWARE harbor", "0088"] {
            assert!(super::answers(&facts, hit), "{hit}");
        }
        for miss in ["acme", "harbor acme"] {
            assert!(!super::answers(&facts, miss), "{miss}");
        }
    }

    #[test]
    fn the_default_columns_are_customer_fields() {
        let catalog = arrears_domain::filter::View::Customer.catalog();
        for c in super::DEFAULT_COLUMNS {
            assert!(catalog.slot(c).is_some(), "{c}");
        }
    }
}
