//! Named views of My Accounts, per user, one of them the default: saved from the page or the
//! API once their query checks.

use arrears_store::SavedView;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::accounts::{AccountsQuery, check, show};
use crate::auth::Signed;
use crate::grid::ListQuery;
use crate::pages::url_encode;
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts/views", post(save_view))
        .route("/accounts/views/delete", post(delete_view))
        .route("/api/v1/views", get(api_views).post(api_save_view))
}

/// A view to save, once its name and query check.
fn checked_view(
    user: &str,
    name: &str,
    filter: &str,
    sort: &str,
    columns: &str,
    per_page: &str,
    is_default: bool,
) -> Result<SavedView, WebError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(WebError::Invalid(
            "name: a view needs a name of 1 to 60 characters".to_owned(),
        ));
    }
    let view = SavedView {
        user_id: user.to_owned(),
        name: name.to_owned(),
        filter: filter.trim().to_owned(),
        sort: sort.trim().to_owned(),
        columns: columns.trim().to_owned(),
        per_page: per_page.trim().to_owned(),
        is_default,
    };
    match check(&AccountsQuery::of_view(&view)).problems.first() {
        Some((_, problem)) => Err(WebError::Invalid(problem.clone())),
        None => Ok(view),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ViewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    columns: String,
    #[serde(default)]
    per_page: String,
    is_default: Option<String>,
}

/// Saves the query on the page as a named view, once it checks.
async fn save_view(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Form(f): Form<ViewForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let view = match checked_view(
        &caller.user_id,
        &f.name,
        &f.filter,
        &f.sort,
        &f.columns,
        &f.per_page,
        f.is_default.is_some(),
    ) {
        Ok(view) => view,
        Err(WebError::Invalid(problem)) => {
            let given = |t: &str| (!t.trim().is_empty()).then(|| t.to_owned());
            let typed = AccountsQuery {
                list: ListQuery {
                    filter: given(&f.filter),
                    sort: given(&f.sort),
                    page: None,
                    per_page: given(&f.per_page),
                },
                columns: given(&f.columns),
                view: None,
                moved: None,
            };
            return show(&app, &caller, typed, Some((f.name.clone(), problem))).await;
        }
        Err(e) => return Err(PageError(e)),
    };
    app.store.save_view(&view).await?;
    Ok(Redirect::to(&format!("/accounts?view={}", url_encode(&view.name))).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn delete_view(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Form(f): Form<DeleteForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    if !app.store.delete_view(&caller.user_id, &f.name).await? {
        return Err(PageError(WebError::NotFound));
    }
    Ok(Redirect::to("/accounts").into_response())
}

async fn api_views(
    State(app): State<AppState>,
    crate::auth::Bearer(caller): crate::auth::Bearer,
) -> Result<axum::Json<serde_json::Value>, WebError> {
    let items: Vec<serde_json::Value> = app
        .store
        .saved_views(&caller.user_id)
        .await?
        .iter()
        .map(|v| {
            serde_json::json!({
                "name": v.name,
                "filter": v.filter,
                "sort": v.sort,
                "columns": v.columns,
                "per_page": v.per_page,
                "is_default": v.is_default,
            })
        })
        .collect();
    Ok(axum::Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

#[derive(Debug, Deserialize)]
struct ViewRequest {
    name: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    columns: String,
    #[serde(default)]
    per_page: String,
    #[serde(default)]
    is_default: bool,
}

/// Saves one of the caller's views of My Accounts once its query checks.
async fn api_save_view(
    State(app): State<AppState>,
    crate::auth::Bearer(caller): crate::auth::Bearer,
    body: Result<axum::Json<ViewRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::Json<serde_json::Value>, WebError> {
    let axum::Json(v) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let view = checked_view(
        &caller.user_id,
        &v.name,
        &v.filter,
        &v.sort,
        &v.columns,
        &v.per_page,
        v.is_default,
    )?;
    app.store.save_view(&view).await?;
    Ok(axum::Json(serde_json::json!({ "saved": view.name })))
}
