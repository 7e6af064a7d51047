//! Expected payments and promises to pay (recorded on the Communication screen; listed,
//! cancelled), user actions (worked from the Actions list), each user's open work, and the
//! kinds of user action admins describe. As pages and as `/api/v1`.

use arrears_actions::desk::{self, UserActionInput};
use arrears_store::{ExpectedRecord, UserActionRecord, UserActionType, WorkCount};
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::communication::{actor, must_work, seen};
use crate::auth::{Bearer, Caller, Signed};
use crate::pages::{CountsPage, Nav, UserActionTypesPage, account_link, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/expected-payments/{expected_id}/cancel", post(cancel_post))
        .route("/user-actions/{user_action_id}", post(user_action_post))
        .route("/actions/counts", get(counts_page))
        .route("/admin/user-actions", get(types_page))
        .route("/admin/user-actions/{kind}", post(type_post))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/expected-payments",
            get(api_expected_of),
        )
        .route(
            "/api/v1/expected-payments/{expected_id}",
            get(api_expected).patch(api_cancel),
        )
        .route("/api/v1/user-actions", get(api_user_actions))
        .route(
            "/api/v1/user-actions/{user_action_id}",
            get(api_user_action).patch(api_edit_user_action),
        )
        .route("/api/v1/actions/counts", get(api_counts))
        .route("/api/v1/user-action-types", get(api_types))
        .route(
            "/api/v1/user-action-types/{kind}",
            get(api_type).put(api_set_type),
        )
}

pub(crate) fn version(text: &str) -> Result<i64, WebError> {
    text.trim()
        .parse()
        .map_err(|_| WebError::BadRequest(format!("version: not a number {text:?}")))
}

/// An expected payment of a customer the caller sees.
async fn seen_expected(
    app: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<ExpectedRecord, WebError> {
    let e = app.store.expected(id).await?.ok_or(WebError::NotFound)?;
    seen(app, caller, &e.company_id, &e.customer_id).await?;
    Ok(e)
}

/// A user action about a customer the caller sees.
async fn seen_user_action(
    app: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<UserActionRecord, WebError> {
    let a = app.store.user_action(id).await?.ok_or(WebError::NotFound)?;
    seen(app, caller, &a.company_id, &a.customer_id).await?;
    Ok(a)
}

/// A change to a record read at `version`, from a form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VersionForm {
    pub csrf: String,
    pub version: String,
}

async fn cancel_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(id): Path<i64>,
    Form(f): Form<VersionForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let e = seen_expected(&app, &caller, id).await?;
    must_work(&caller)?;
    desk::cancel_expected(&app.store, id, version(&f.version)?, actor(&app, &caller))
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to(&format!(
        "{}#expected-payments",
        account_link(&e.company_id, &e.customer_id)
    ))
    .into_response())
}

async fn api_expected_of(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let items = app.store.expected_of(&company, &customer).await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn api_expected(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(id): Path<i64>,
) -> Result<Json<ExpectedRecord>, WebError> {
    Ok(Json(seen_expected(&app, &caller, id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    version: i64,
    status: String,
}

async fn api_cancel(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(id): Path<i64>,
    body: Result<Json<Cancel>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ExpectedRecord>, WebError> {
    seen_expected(&app, &caller, id).await?;
    must_work(&caller)?;
    let Json(c) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    if c.status != "cancelled" {
        return Err(WebError::Invalid(format!(
            "status: an expected payment can only be cancelled by hand, not set to {:?}; \
             the payments decide whether it is kept or broken",
            c.status
        )));
    }
    desk::cancel_expected(&app.store, id, c.version, actor(&app, &caller)).await?;
    Ok(Json(seen_expected(&app, &caller, id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UserActionForm {
    csrf: String,
    version: String,
    description: String,
    priority: String,
    op: String,
}

async fn user_action_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(id): Path<i64>,
    Form(f): Form<UserActionForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    seen_user_action(&app, &caller, id).await?;
    must_work(&caller)?;
    let priority = match f.priority.trim() {
        "" => 0,
        p => p
            .parse()
            .map_err(|_| WebError::Invalid(format!("priority: not a number {:?}", f.priority)))?,
    };
    let input = UserActionInput {
        version: version(&f.version)?,
        description: Some(f.description.clone()),
        priority: Some(priority),
        close: f.op == "close",
    };
    desk::edit_user_action(&app.store, id, &input, actor(&app, &caller))
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to("/actions").into_response())
}

async fn api_user_actions(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    let items = app
        .store
        .user_actions(std::slice::from_ref(&caller.user_id), false, false)
        .await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn api_user_action(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(id): Path<i64>,
) -> Result<Json<UserActionRecord>, WebError> {
    Ok(Json(seen_user_action(&app, &caller, id).await?))
}

async fn api_edit_user_action(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(id): Path<i64>,
    body: Result<Json<UserActionInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<UserActionRecord>, WebError> {
    seen_user_action(&app, &caller, id).await?;
    must_work(&caller)?;
    let Json(input) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    desk::edit_user_action(&app.store, id, &input, actor(&app, &caller)).await?;
    Ok(Json(seen_user_action(&app, &caller, id).await?))
}

/// The open work of each user the caller sees: all (admins), the team and oneself
/// (managers and collectors), oneself (inquiry).
async fn counts(app: &AppState, caller: &Caller) -> Result<Vec<WorkCount>, WebError> {
    let seen = app.store.seen_users(caller.viewer()).await?;
    Ok(app
        .store
        .work_counts(app.as_of())
        .await?
        .into_iter()
        .filter(|c| seen.all || seen.users.contains(&c.user_id))
        .collect())
}

async fn counts_page(
    State(app): State<AppState>,
    Signed(caller): Signed,
) -> Result<Html<String>, PageError> {
    let counts = counts(&app, &caller).await?;
    render(&CountsPage {
        nav: Nav::new(&caller, "actions"),
        as_of: app.as_of(),
        counts,
    })
}

async fn api_counts(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    let items = counts(&app, &caller).await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn types_page(
    State(app): State<AppState>,
    Signed(caller): Signed,
) -> Result<Html<String>, PageError> {
    caller.must_administer()?;
    render(&UserActionTypesPage {
        nav: Nav::new(&caller, "admin"),
        types: app.store.user_action_types().await?,
        problem: None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TypeForm {
    csrf: String,
    description: String,
    priority: String,
}

async fn type_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(kind): Path<String>,
    Form(f): Form<TypeForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    caller.must_administer()?;
    let result = match f.priority.trim().parse::<i64>() {
        Ok(p) => {
            desk::set_user_action_type(&app.store, &kind, &f.description, p, actor(&app, &caller))
                .await
                .map_err(WebError::from)
        }
        Err(_) => Err(WebError::Invalid(format!(
            "priority: not a number {:?}",
            f.priority
        ))),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/user-actions").into_response()),
        Err(WebError::Invalid(problem)) => {
            let page = render(&UserActionTypesPage {
                nav: Nav::new(&caller, "admin"),
                types: app.store.user_action_types().await?,
                problem: Some(problem),
            })?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn api_types(
    State(app): State<AppState>,
    Bearer(_caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    let items = app.store.user_action_types().await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn api_type(
    State(app): State<AppState>,
    Bearer(_caller): Bearer,
    Path(kind): Path<String>,
) -> Result<Json<UserActionType>, WebError> {
    app.store
        .user_action_types()
        .await?
        .into_iter()
        .find(|t| t.kind == kind)
        .map(Json)
        .ok_or(WebError::NotFound)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeBody {
    description: String,
    priority: i64,
}

async fn api_set_type(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(kind): Path<String>,
    body: Result<Json<TypeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<UserActionType>, WebError> {
    caller.must_administer()?;
    let Json(t) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    desk::set_user_action_type(
        &app.store,
        &kind,
        &t.description,
        t.priority,
        actor(&app, &caller),
    )
    .await?;
    api_type(State(app), Bearer(caller), Path(kind)).await
}
