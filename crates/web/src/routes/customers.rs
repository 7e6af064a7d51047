//! Customers in `/api/v1`, and the search box. Every read goes through the caller's scope,
//! in the query: a customer outside it is not found.

use arrears_actions::{one_customer_facts, open_items_of};
use arrears_domain::filter::View;
use arrears_domain::rules::CustomerFacts;
use std::sync::Arc;

use arrears_store::SeenUsers;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::accounts::{AccountsQuery, check};

use crate::auth::{Bearer, Caller, Signed, stored_text};
use crate::grid::{Dated, ListQuery, dated, json_page, json_row};
use crate::pages::{AccountsPage, Column, Nav, render};
use crate::snapshot::Snapshot;
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/api/v1/customers", get(api_list))
        .route("/api/v1/customers/{company_id}/{customer_id}", get(api_one))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/invoices",
            get(api_invoices),
        )
}

/// The book on the business date, and whose customers in it the caller sees.
pub(super) async fn seen(
    app: &AppState,
    caller: &Caller,
) -> Result<(Arc<Snapshot>, SeenUsers), WebError> {
    let snapshot = app.books.snapshot(&app.store, app.as_of()).await?;
    let seen = app.store.seen_users(caller.viewer()).await?;
    Ok((snapshot, seen))
}

/// The customers the caller sees, as rows of a list.
pub(super) fn rows<'a>(snapshot: &'a Snapshot, seen: &SeenUsers) -> Vec<Dated<'a>> {
    dated(snapshot.seen(seen), snapshot.as_of)
}

/// One customer the caller sees, or not found.
async fn one(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
) -> Result<CustomerFacts, WebError> {
    one_customer_facts(
        &app.store,
        company,
        customer,
        Some(caller.viewer()),
        app.as_of(),
    )
    .await?
    .ok_or(WebError::NotFound)
}

async fn api_list(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let listing = q.check(View::Customer)?;
    let (snapshot, seen) = seen(&app, &caller).await?;
    let page = snapshot.page(&seen, &listing, &[])?;
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
        facts: &facts,
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
    let (snapshot, seen) = seen(&app, &caller).await?;
    let found: Vec<Dated> = if wanted.is_empty() {
        Vec::new()
    } else {
        rows(&snapshot, &seen)
            .into_iter()
            .filter(|d| answers(d.facts, &wanted))
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
}
