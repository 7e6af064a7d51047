//! Assigning customers: an admin puts one customer, or every customer a My Accounts filter
//! shows, in a user's hands or in the unassigned pool, or hands them back to the assignment
//! customers.csv gives; later syncs keep an admin's assignment. As pages and as `/api/v1`.

use arrears_domain::filter::View;
use arrears_store::{AssignRefused, AssignTo, Assignment};
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::communication::{actor, seen};
use super::customers::seen as snapshot_seen;
use crate::auth::{Admin, Bearer, BearerAdmin, Caller};
use crate::grid::ListQuery;
use crate::pages::url_encode;
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{company_id}/{customer_id}/assignment",
            post(assign_post),
        )
        .route("/accounts/assign", post(assign_listed_post))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/assignment",
            get(api_assignment).put(api_assign).delete(api_to_sync),
        )
        .route(
            "/api/v1/assignments",
            get(api_assignments).post(api_assign_many),
        )
}

impl From<AssignRefused> for WebError {
    fn from(e: AssignRefused) -> WebError {
        match e {
            AssignRefused::UnknownUser(_) => WebError::Invalid(format!("user_id: {e}")),
            AssignRefused::UnknownCustomer(..) => WebError::NotFound,
        }
    }
}

/// Where a form sends customers: `to` is `user` (to `user_id`, or the pool when it is empty)
/// or `sync`.
fn assign_to<'a>(to: &str, user_id: &'a str) -> Result<AssignTo<'a>, WebError> {
    match to {
        "user" => Ok(AssignTo::User(
            Some(user_id.trim()).filter(|u| !u.is_empty()),
        )),
        "sync" => Ok(AssignTo::Sync),
        other => Err(WebError::Invalid(format!(
            "to: {other:?} is neither \"user\" nor \"sync\""
        ))),
    }
}

/// For an admin, the active users customers may be assigned to: (id, name); none for others.
pub(super) async fn assignable(
    app: &AppState,
    caller: &Caller,
) -> Result<Vec<(String, String)>, WebError> {
    if !caller.role.administers() {
        return Ok(Vec::new());
    }
    Ok(app
        .store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.active)
        .map(|a| (a.user_id, a.name))
        .collect())
}

/// Moves `customers` and says how many moved.
async fn assign(
    app: &AppState,
    caller: &Caller,
    customers: &[(String, String)],
    to: AssignTo<'_>,
) -> Result<usize, WebError> {
    let moved = app
        .store
        .assign(actor(app, caller), customers, to)
        .await??;
    tracing::info!(user = %caller.user_id, customers = customers.len(), moved, ?to, "customers assigned");
    Ok(moved)
}

#[derive(Debug, Default, Deserialize)]
struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    to: String,
}

async fn assign_post(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Path((company, customer)): Path<(String, String)>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    seen(&app, &caller, &company, &customer).await?;
    let to = assign_to(&f.to, &f.user_id)?;
    assign(&app, &caller, &[(company.clone(), customer.clone())], to).await?;
    let target = format!(
        "/customers/{}/{}#customer-heading",
        url_encode(&company),
        url_encode(&customer)
    );
    Ok(Redirect::to(&target).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct AssignListedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    to: String,
}

/// The customers My Accounts lists for `filter` (every customer an admin sees), by company and
/// id, from the pages' snapshot of the book.
async fn listed(
    app: &AppState,
    caller: &Caller,
    filter: &str,
) -> Result<Vec<(String, String)>, WebError> {
    let query = ListQuery {
        filter: Some(filter.to_owned()).filter(|f| !f.trim().is_empty()),
        sort: None,
        page: None,
        per_page: None,
    };
    let listing = query.check(View::Customer)?;
    let (snapshot, seen) = snapshot_seen(app, caller).await?;
    let selected = snapshot.listed(&seen, &listing, &[])?;
    Ok(selected
        .order
        .iter()
        .map(|&i| {
            let c = &snapshot.customers[i];
            (c.company_id.clone(), c.customer_id.clone())
        })
        .collect())
}

async fn assign_listed_post(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<AssignListedForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let to = assign_to(&f.to, &f.user_id)?;
    let customers = listed(&app, &caller, &f.filter).await?;
    let moved = assign(&app, &caller, &customers, to).await?;
    let target = format!(
        "/accounts?filter={}&moved={moved}",
        url_encode(f.filter.trim())
    );
    Ok(Redirect::to(&target).into_response())
}

async fn api_assignment(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<Assignment>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let found = app.store.assignment(&company, &customer).await?;
    Ok(Json(found.ok_or(WebError::NotFound)?))
}

#[derive(Debug, Deserialize)]
struct AssignBody {
    /// None: the unassigned pool.
    user_id: Option<String>,
}

async fn api_assign(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    Path((company, customer)): Path<(String, String)>,
    body: Result<Json<AssignBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Assignment>, WebError> {
    let Json(body) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    seen(&app, &caller, &company, &customer).await?;
    let to = AssignTo::User(body.user_id.as_deref());
    assign(&app, &caller, &[(company.clone(), customer.clone())], to).await?;
    let found = app.store.assignment(&company, &customer).await?;
    Ok(Json(found.ok_or(WebError::NotFound)?))
}

async fn api_to_sync(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<Assignment>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let to = AssignTo::Sync;
    assign(&app, &caller, &[(company.clone(), customer.clone())], to).await?;
    let found = app.store.assignment(&company, &customer).await?;
    Ok(Json(found.ok_or(WebError::NotFound)?))
}

async fn api_assignments(
    State(app): State<AppState>,
    BearerAdmin(_): BearerAdmin,
) -> Result<Json<serde_json::Value>, WebError> {
    let items = app.store.assignments().await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignManyBody {
    /// A customer-view filter; every customer it matches (all when empty).
    #[serde(default)]
    filter: String,
    /// None (with `sync` false): the unassigned pool.
    #[serde(default)]
    user_id: Option<String>,
    /// Back to customers.csv's assignment.
    #[serde(default)]
    sync: bool,
    /// Count, change nothing.
    #[serde(default)]
    preview: bool,
}

async fn api_assign_many(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    body: Result<Json<AssignManyBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, WebError> {
    let Json(body) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let to = match (body.sync, body.user_id.as_deref()) {
        (true, Some(_)) => {
            return Err(WebError::Invalid(
                "sync: give either user_id or sync, not both".to_owned(),
            ));
        }
        (true, None) => AssignTo::Sync,
        (false, user) => AssignTo::User(user),
    };
    let customers = listed(&app, &caller, &body.filter).await?;
    let moved = if body.preview {
        app.store.assign_preview(&customers, to).await??
    } else {
        assign(&app, &caller, &customers, to).await?
    };
    Ok(Json(serde_json::json!({
        "matched": customers.len(),
        "moved": moved,
        "preview": body.preview,
    })))
}
