//! Errors, mapped to answers in one place: JSON for the API, a page for people. Internals are
//! logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use arrears_actions::ActionsError;
use arrears_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such record, or one outside the caller's scope: the two answer alike.
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The request is well formed but its content is wrong (a bad filter, a bad field).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Actions(#[from] ActionsError),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Invalid(_) | WebError::Actions(ActionsError::Invalid(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            WebError::Conflict(_) | WebError::Actions(ActionsError::Conflict(_)) => {
                StatusCode::CONFLICT
            }
            WebError::NotFound | WebError::Actions(ActionsError::NotFound) => StatusCode::NOT_FOUND,
            WebError::Store(_) | WebError::Actions(_) | WebError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// What the caller is told.
    pub fn message(&self) -> String {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
            "something went wrong; the server log has the details".to_owned()
        } else {
            self.to_string()
        }
    }
}

/// The API's errors: `{"error": "..."}` with the status.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        (status, Json(serde_json::json!({ "error": self.message() }))).into_response()
    }
}

/// A page's errors: a plain page with the status.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.message();
        let body = crate::pages::ErrorPage {
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            message,
        };
        match askama::Template::render(&body) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.0.message()).into_response(),
        }
    }
}
