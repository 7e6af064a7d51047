//! The signed-in user's own page: their API tokens, made (shown once) and revoked here.

use arrears_store::Token;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{Caller, Signed, TOKEN_PREFIX, digest, new_secret};
use crate::pages::{MePage, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(page))
        .route("/me/tokens", post(create))
        .route("/me/tokens/revoke", post(revoke))
}

async fn me_page(
    app: &AppState,
    caller: &Caller,
    secret: Option<String>,
) -> Result<MePage, WebError> {
    let tokens: Vec<Token> = app.store.tokens(Some(&caller.user_id)).await?;
    Ok(MePage {
        nav: Nav::new(caller, "me"),
        role: caller.role.as_str(),
        tokens,
        secret,
    })
}

async fn page(
    State(app): State<AppState>,
    Signed(caller): Signed,
) -> Result<Html<String>, PageError> {
    render(&me_page(&app, &caller, None).await?)
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    token_id: Option<String>,
}

/// Makes a token for the caller and shows it, this once.
async fn create(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let name = f.name.trim();
    if name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(PageError(WebError::Invalid(
            "name: at most 60 characters".to_owned(),
        )));
    }
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let label = (!name.is_empty()).then_some(name);
    let id = app
        .store
        .create_token(&caller.user_id, label, &digest(&secret), Utc::now())
        .await?;
    tracing::info!(user = %caller.user_id, token = id, "API token created");
    let page = me_page(&app, &caller, Some(secret)).await?;
    Ok((StatusCode::CREATED, render(&page)?).into_response())
}

/// Revokes one of the caller's own tokens; others' are not found.
async fn revoke(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let id: i64 = f
        .token_id
        .as_deref()
        .and_then(|t| t.trim().parse().ok())
        .ok_or(WebError::NotFound)?;
    let mine = app.store.tokens(Some(&caller.user_id)).await?;
    if !mine.iter().any(|t| t.token_id == id) || !app.store.revoke_token(id, Utc::now()).await? {
        return Err(PageError(WebError::NotFound));
    }
    tracing::info!(user = %caller.user_id, token = id, "API token revoked");
    Ok(Redirect::to("/me").into_response())
}
