//! Admin master files: the site settings (edited in place), action codes, activity types,
//! reason codes and the calendar (changed by a sync of their files), and the users: roles,
//! teams, assigned customers, disabling and passwords.

use arrears_domain::Settings;
use arrears_store::{ActionCodeRow, ActivityTypeRow, CalendarRow, ReasonCodeRow, Record, UserRow};
use axum::Json;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::communication::actor;
use super::syncs::{csv_row, sync_one};
use crate::auth::{
    Admin, Bearer, BearerAdmin, Caller, hash_password, password_problem, stored_text,
};
use crate::pages::{Nav, SettingLine, SetupPage, UserLine, UsersPage, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/setup", get(setup))
        .route("/admin/settings", post(set_setting))
        .route("/admin/users", get(users).post(save_user))
        .route("/admin/users/disable", post(disable_user))
        .route("/admin/users/password", post(user_password))
        .route("/api/v1/users", get(api_users).post(api_save_user))
        .route("/api/v1/settings", get(api_settings))
        .route(
            "/api/v1/settings/{key}",
            get(api_setting).put(api_set_setting),
        )
}

async fn setup_page(
    app: &AppState,
    caller: &Caller,
    problem: Option<(String, String, String)>,
) -> Result<SetupPage, WebError> {
    let store = &app.store;
    let settings = store.settings().await?;
    let lines = Settings::KEYS
        .iter()
        .map(|key| {
            let mine = problem.as_ref().filter(|(k, ..)| k == key);
            SettingLine {
                key: (*key).to_owned(),
                value: match mine {
                    Some((_, typed, _)) => typed.clone(),
                    None => settings.get(key).unwrap_or_default(),
                },
                problem: mine.map(|(.., p)| p.clone()),
            }
        })
        .collect();
    Ok(SetupPage {
        nav: Nav::new(caller, "admin"),
        settings: lines,
        codes: store.setup::<ActionCodeRow>(None).await?,
        types: store.setup::<ActivityTypeRow>(None).await?,
        reasons: store.setup::<ReasonCodeRow>(None).await?,
        calendar: store.setup::<CalendarRow>(None).await?,
    })
}

async fn setup(
    State(app): State<AppState>,
    Admin(caller): Admin,
) -> Result<Html<String>, PageError> {
    render(&setup_page(&app, &caller, None).await?)
}

#[derive(Debug, Default, Deserialize)]
struct SettingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
}

async fn set_setting(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<SettingForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let actor = super::communication::actor(&app, &caller);
    match app.store.set_setting(&f.key, &f.value, actor).await? {
        Ok(()) => {
            tracing::info!(user = %caller.user_id, key = %f.key, value = %f.value, "setting changed");
            Ok(Redirect::to("/admin/setup#settings").into_response())
        }
        Err(e) => {
            let page = setup_page(&app, &caller, Some((f.key, f.value, e.to_string()))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

async fn users_page(
    app: &AppState,
    caller: &Caller,
    problems: Vec<(String, String)>,
    typed: Option<UserForm>,
) -> Result<UsersPage, WebError> {
    let counts = app.store.assigned_counts().await?;
    let users = app
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|a| UserLine {
            assigned: counts.get(&Some(a.user_id.clone())).copied().unwrap_or(0),
            account: a,
        })
        .collect();
    let typed = typed.unwrap_or_default();
    Ok(UsersPage {
        nav: Nav::new(caller, "admin"),
        users,
        unassigned: counts.get(&None).copied().unwrap_or(0),
        problems,
        user_id: typed.user_id,
        name: typed.name,
        email: typed.email,
        role: typed.role,
        manager: typed.manager,
    })
}

async fn users(
    State(app): State<AppState>,
    Admin(caller): Admin,
) -> Result<Html<String>, PageError> {
    render(&users_page(&app, &caller, Vec::new(), None).await?)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub manager: String,
}

/// Adds or changes a user as a one-row `users.csv` sync: checked as an imported user is.
async fn save_user(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<UserForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let row = [
        f.user_id.trim(),
        f.name.trim(),
        f.email.trim(),
        f.role.trim(),
        f.manager.trim(),
        "yes",
    ];
    let manager = f.manager.trim();
    stored_text(&[manager])?;
    let problems = if !manager.is_empty() && app.store.account(manager).await?.is_none() {
        vec![("manager".to_owned(), format!("no user {manager:?}"))]
    } else {
        let source = format!("user admin: {}", f.user_id.trim());
        sync_one(
            &app,
            &caller,
            "users.csv",
            &csv_row(UserRow::COLUMNS, &row)?,
            source,
        )
        .await?
    };
    if problems.is_empty() {
        return Ok(Redirect::to("/admin/users").into_response());
    }
    let page = users_page(&app, &caller, problems, Some(f)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct DisableForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    /// `yes` to disable, anything else to enable.
    #[serde(default)]
    disabled: String,
}

async fn disable_user(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<DisableForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    stored_text(&[&f.user_id])?;
    if app.store.account(&f.user_id).await?.is_none() {
        return Err(PageError(WebError::NotFound));
    }
    let disabled = f.disabled == "yes";
    if disabled && f.user_id == caller.user_id {
        return Err(PageError(WebError::Conflict(
            "you cannot disable yourself".to_owned(),
        )));
    }
    app.store
        .set_disabled(&f.user_id, disabled, actor(&app, &caller))
        .await?;
    tracing::info!(user = %caller.user_id, target = %f.user_id, disabled, "user access changed");
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
}

async fn user_password(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    stored_text(&[&f.user_id])?;
    if app.store.account(&f.user_id).await?.is_none() {
        return Err(PageError(WebError::NotFound));
    }
    if let Some(problem) = password_problem(&f.password) {
        let problems = vec![("password".to_owned(), problem)];
        let page = users_page(&app, &caller, problems, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    app.store
        .set_password_hash(
            &f.user_id,
            &hash_password(&f.password)?,
            actor(&app, &caller),
        )
        .await?;
    tracing::info!(user = %caller.user_id, target = %f.user_id, "password set");
    Ok(Redirect::to("/admin/users").into_response())
}

async fn api_users(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let counts = app.store.assigned_counts().await?;
    let items: Vec<serde_json::Value> = app
        .store
        .accounts()
        .await?
        .iter()
        .map(|a| {
            serde_json::json!({
                "user_id": a.user_id,
                "name": a.name,
                "email": a.email,
                "role": a.role,
                "manager": a.manager,
                "active": a.active,
                "disabled": a.disabled,
                "has_password": a.password_hash.is_some(),
                "assigned_customers": counts.get(&Some(a.user_id.clone())).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn api_settings(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let settings = app.store.settings().await?;
    let mut map = serde_json::Map::new();
    for key in Settings::KEYS {
        map.insert(key.to_owned(), settings.get(key).unwrap_or_default().into());
    }
    Ok(Json(serde_json::Value::Object(map)))
}

async fn api_setting(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let value = app
        .store
        .settings()
        .await?
        .get(&key)
        .map_err(|_| WebError::NotFound)?;
    Ok(Json(serde_json::json!({ "key": key, "value": value })))
}

#[derive(Debug, Deserialize)]
struct NewValue {
    value: String,
}

async fn api_set_setting(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    axum::extract::Path(key): axum::extract::Path<String>,
    body: Result<Json<NewValue>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let Json(new) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    if !Settings::KEYS.contains(&key.as_str()) {
        return Err(WebError::NotFound);
    }
    app.store
        .set_setting(&key, &new.value, super::communication::actor(&app, &caller))
        .await?
        .map_err(|e| WebError::Invalid(e.to_string()))?;
    tracing::info!(user = %caller.user_id, key = %key, value = %new.value, "setting changed");
    let value = app.store.settings().await?.get(&key).unwrap_or_default();
    Ok(Json(serde_json::json!({ "key": key, "value": value })))
}

/// A user as the API takes it.
#[derive(Debug, Deserialize)]
struct UserRequest {
    user_id: String,
    name: String,
    email: Option<String>,
    role: String,
    manager: Option<String>,
    active: Option<bool>,
}

/// Adds or changes a user as a one-row `users.csv` sync (admins).
async fn api_save_user(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    body: Result<Json<UserRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    let Json(u) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let manager = u.manager.clone().unwrap_or_default();
    stored_text(&[&manager])?;
    if !manager.is_empty() && app.store.account(&manager).await?.is_none() {
        return Ok(super::rules::problems_answer(vec![(
            "manager".to_owned(),
            format!("no user {manager:?}"),
        )]));
    }
    let active = if u.active.unwrap_or(true) {
        "yes"
    } else {
        "no"
    };
    let row = [
        u.user_id.trim(),
        u.name.trim(),
        u.email.as_deref().unwrap_or_default().trim(),
        u.role.trim(),
        manager.trim(),
        active,
    ];
    let source = format!("api: user {}", u.user_id.trim());
    let problems = sync_one(
        &app,
        &caller,
        "users.csv",
        &csv_row(UserRow::COLUMNS, &row)?,
        source,
    )
    .await?;
    Ok(super::rules::problems_answer(problems))
}
