//! The routes, a file per resource: each serves its pages and its `/api/v1` JSON.

mod account;
mod accounts;
mod actions;
mod admin;
mod assets;
mod assignments;
mod communication;
mod customers;
mod dashboard;
mod disputes;
mod generate;
mod health;
mod history;
mod me;
mod plans;
mod promises;
mod rules;
pub mod schedules;
mod session;
mod setup;
mod syncs;
mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

pub use actions::state;
pub use history::HistoryQuery;
pub use rules::RuleForm;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(assets::router())
        .merge(session::router())
        .merge(dashboard::router())
        .merge(accounts::router())
        .merge(account::router())
        .merge(communication::router())
        .merge(disputes::router())
        .merge(plans::router())
        .merge(assignments::router())
        .merge(promises::router())
        .merge(customers::router())
        .merge(actions::router())
        .merge(admin::router())
        .merge(history::router())
        .merge(syncs::router())
        .merge(generate::router())
        .merge(rules::router())
        .merge(setup::router())
        .merge(me::router())
        .merge(views::router())
        .merge(crate::openapi::router())
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        crate::WebError::NotFound.into_response()
    } else {
        crate::PageError(crate::WebError::NotFound).into_response()
    }
}

/// The address a request came from, for the sign-in log and its limits.
pub struct Client(pub String);

impl<S: Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Self::Rejection> {
        Ok(Client(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}
