//! Signing in and out. Every attempt is logged; a failure says the same whatever went wrong,
//! so that no one learns which accounts exist, are locked or are disabled.

use std::sync::LazyLock;

use arrears_store::{Account, Session, SignIn};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::Client;
use crate::auth::{
    SESSION_COOKIE, SIGN_IN_COOKIE, Signed, cookie, digest, hash_password, new_secret, same_secret,
    verify_password,
};
use crate::pages::{SignInPage, render};
use crate::{AppState, PageError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(page).post(sign_in))
        .route("/sign-out", post(sign_out))
}

/// What a failed sign-in is told, whatever the reason.
pub const FAILED: &str = "Sign-in failed: the user id or password is wrong, or the account \
     cannot sign in now. Check them, or wait a few minutes and try again.";

/// A hash to check passwords against when the user has none, so that a missing account
/// takes as long to refuse as a wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| hash_password(&new_secret()).unwrap_or_default());

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only paths of this site: never `//elsewhere` or `https://elsewhere`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn set_cookie(app: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The sign-in form with a fresh CSRF token in its cookie.
fn form(app: &AppState, next: String, user_id: String, problem: Option<&str>) -> Response {
    let csrf = new_secret();
    let page = SignInPage {
        csrf: csrf.clone(),
        next,
        user_id,
        problem: problem.map(str::to_owned),
    };
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    match render(&page) {
        Ok(html) => {
            let cookie = set_cookie(app, SIGN_IN_COOKIE, &csrf, "/sign-in", 3600);
            (status, [(SET_COOKIE, cookie)], html).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The form, also to signed-in users: signing in again (as someone else, say) ends the session
/// the browser had.
async fn page(State(app): State<AppState>, Query(q): Query<Next>) -> Response {
    form(&app, safe_next(q.next.as_deref()), String::new(), None)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// Why an attempt failed, for the log only.
fn refusal(account: Option<&Account>, password: &str, now: DateTime<Utc>) -> Option<&'static str> {
    let Some(a) = account else {
        verify_password(password, &DECOY);
        return Some("unknown user");
    };
    let good = verify_password(password, a.password_hash.as_deref().unwrap_or(&DECOY));
    if a.locked_until.is_some_and(|t| t > now) {
        Some("locked")
    } else if a.disabled || !a.active {
        Some("disabled")
    } else if a.password_hash.is_none() {
        Some("no password set")
    } else if !good {
        Some("wrong password")
    } else if a.role.parse::<arrears_domain::Role>().is_err() {
        Some("unknown role")
    } else {
        None
    }
}

async fn sign_in(
    State(app): State<AppState>,
    Client(client): Client,
    parts: Parts,
    Form(f): Form<SignInForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next.as_deref());
    let expected = cookie(&parts, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &f.csrf) {
        return Ok(form(
            &app,
            next,
            f.user_id,
            Some("The sign-in form had expired; please sign in again."),
        ));
    }
    let now = Utc::now();
    let user_id = f.user_id.trim().to_owned();
    let config = &app.config;
    let window = now - Duration::minutes(config.lockout_minutes);
    let throttled =
        app.store.failures_from(&client, window).await?.len() >= config.max_client_failures;
    let account = match crate::auth::stored_text(&[&user_id]) {
        Ok(()) => app.store.account(&user_id).await?,
        Err(_) => None,
    };
    let why = if throttled {
        Some("too many failures from this client")
    } else {
        refusal(account.as_ref(), &f.password, now)
    };
    // What was typed, as far as a log can hold it.
    let typed: String = user_id
        .chars()
        .take(100)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let log = |ok: bool, outcome: &str| SignIn {
        at: now,
        user_id: typed.clone(),
        ok,
        outcome: outcome.to_owned(),
        client: Some(client.clone()),
    };
    if let Some(why) = why {
        tracing::warn!(user = %typed, client = %client, why, "sign-in failed");
        app.store.log_sign_in(&log(false, why)).await?;
        if let (Some(a), "wrong password") = (&account, why) {
            let failed = a.failed + 1;
            let lock = (failed >= config.max_failed_sign_ins)
                .then(|| now + Duration::minutes(config.lockout_minutes));
            app.store.set_failures(&a.user_id, failed, lock).await?;
        }
        return Ok(form(&app, next, typed, Some(FAILED)));
    }
    // A new session for every sign-in: any session this browser had is ended first.
    if let Some(old) = cookie(&parts, SESSION_COOKIE) {
        app.store.end_session(&digest(&old), now).await?;
    }
    app.store.set_failures(&user_id, 0, None).await?;
    let secret = new_secret();
    let session = Session {
        user_id: user_id.clone(),
        csrf_token: new_secret(),
        expires_at: now + Duration::hours(config.session_hours),
    };
    app.store
        .create_session(&digest(&secret), &session, now)
        .await?;
    app.store.log_sign_in(&log(true, "signed in")).await?;
    tracing::info!(user = %user_id, client = %client, "signed in");
    let max_age = config.session_hours * 3600;
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        set_cookie(&app, SESSION_COOKIE, &secret, "/", max_age),
    );
    headers.append(
        SET_COOKIE,
        set_cookie(&app, SIGN_IN_COOKIE, "", "/sign-in", 0),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(app): State<AppState>,
    Signed(caller): Signed,
    parts: Parts,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    if let Some(secret) = cookie(&parts, SESSION_COOKIE) {
        app.store.end_session(&digest(&secret), Utc::now()).await?;
    }
    tracing::info!(user = %caller.user_id, "signed out");
    let mut response = Redirect::to("/sign-in").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, set_cookie(&app, SESSION_COOKIE, "", "/", 0));
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        assert_eq!(
            super::safe_next(Some("/accounts?page=2")),
            "/accounts?page=2"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "accounts",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(super::safe_next(None), "/");
    }
}
