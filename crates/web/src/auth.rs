//! Who is asking: passwords (argon2), sessions kept in the store behind a cookie, API
//! tokens, and the CSRF token every state change must carry.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use arrears_domain::Role;
use arrears_store::{Account, Viewer};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{AppState, WebError};

/// The cookie that holds a session's secret.
pub const SESSION_COOKIE: &str = "arrears_session";
/// The cookie that holds the sign-in form's CSRF token, before there is a session.
pub const SIGN_IN_COOKIE: &str = "arrears_sign_in";
/// API tokens start with this, so that a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "arr_";
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// An argon2id hash of `password` in PHC form.
pub fn hash_password(password: &str) -> Result<String, WebError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| WebError::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the stored `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Why a new password is refused, if it is.
pub fn password_problem(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD)
        .then(|| format!("a password needs at least {MIN_PASSWORD} characters"))
}

/// 32 random bytes as hex: session secrets, CSRF tokens, API tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 of a secret, as stored: the store never holds a usable secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses ids no record can have (control characters, which PostgreSQL will not even
/// compare): they are simply not found.
pub fn stored_text(ids: &[&str]) -> Result<(), WebError> {
    if ids.iter().any(|id| id.chars().any(char::is_control)) {
        Err(WebError::NotFound)
    } else {
        Ok(())
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// The session's CSRF token (none for API tokens, which are not sent by browsers).
    pub csrf: Option<String>,
}

impl Caller {
    fn of(account: Account, csrf: Option<String>) -> Option<Caller> {
        let role = account.role.parse().ok()?;
        (account.active && !account.disabled).then_some(Caller {
            user_id: account.user_id,
            name: account.name,
            role,
            csrf,
        })
    }

    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            user_id: &self.user_id,
            role: self.role,
        }
    }

    /// Checks the CSRF token a form sent.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        match &self.csrf {
            Some(token) if same_secret(token, sent) => Ok(()),
            _ => Err(WebError::Forbidden(
                "the form has expired or did not come from Arrears; reload the page and try again"
                    .to_owned(),
            )),
        }
    }

    /// Refuses callers who may not change setup, run syncs or generate actions.
    pub fn must_administer(&self) -> Result<(), WebError> {
        if self.role.administers() {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "only administrators may do this".to_owned(),
            ))
        }
    }
}

/// The user of a browser's session cookie, if it is live.
pub async fn session_caller(app: &AppState, parts: &Parts) -> Result<Option<Caller>, WebError> {
    let Some(secret) = cookie(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = app.store.session(&digest(&secret)).await? else {
        return Ok(None);
    };
    if session.expires_at <= Utc::now() {
        return Ok(None);
    }
    Ok(app
        .store
        .account(&session.user_id)
        .await?
        .and_then(|a| Caller::of(a, Some(session.csrf_token))))
}

/// A page's caller: signed in through a session; pages send others to the sign-in page.
pub struct Signed(pub Caller);

impl FromRequestParts<AppState> for Signed {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Signed, Self::Rejection> {
        use axum::response::{IntoResponse, Redirect};
        match session_caller(app, parts).await {
            Ok(Some(caller)) => Ok(Signed(caller)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                let target = format!("/sign-in?next={}", crate::pages::url_encode(&next));
                Err(Redirect::to(&target).into_response())
            }
            Err(e) => Err(crate::PageError(e).into_response()),
        }
    }
}

/// A page's caller who must be an admin: refused (403) before the request's body is read.
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Admin, Self::Rejection> {
        use axum::response::IntoResponse;
        let Signed(caller) = Signed::from_request_parts(parts, app).await?;
        match caller.must_administer() {
            Ok(()) => Ok(Admin(caller)),
            Err(e) => Err(crate::PageError(e).into_response()),
        }
    }
}

/// An API caller who must be an admin: refused (403) before the request's body is read.
pub struct BearerAdmin(pub Caller);

impl FromRequestParts<AppState> for BearerAdmin {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<BearerAdmin, WebError> {
        let Bearer(caller) = Bearer::from_request_parts(parts, app).await?;
        caller.must_administer()?;
        Ok(BearerAdmin(caller))
    }
}

/// An API caller: a bearer token (`Authorization: Bearer arr_…`).
pub struct Bearer(pub Caller);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Bearer, WebError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(WebError::Unauthorized)?;
        let user = app
            .store
            .token_user(&digest(token), Utc::now())
            .await?
            .ok_or(WebError::Unauthorized)?;
        let account = app.store.account(&user).await?;
        account
            .and_then(|a| Caller::of(a, None))
            .map(Bearer)
            .ok_or(WebError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2_and_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(password_problem("seven77").is_some());
        assert_eq!(password_problem("eight888"), None);
    }

    #[test]
    fn secrets_are_random_and_stored_only_as_digests() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret());
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &new_secret()));
        assert!(!same_secret("ab", "abc"));
    }
}
