//! The web application and JSON API of Arrears: `arrears serve`.
#![deny(clippy::float_arithmetic)]

pub mod auth;
mod config;
mod error;
mod grid;
pub mod openapi;
pub mod pages;
mod routes;
pub mod snapshot;
mod xlsx;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arrears_store::Store;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use chrono::NaiveDate;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::{TOKEN_PREFIX, digest, hash_password, new_secret, password_problem};
pub use config::Config;
pub use error::{PageError, WebError};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// The book as the pages read it, cached per business date and store version.
    pub books: Arc<snapshot::Books>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            books: Arc::default(),
        }
    }

    /// The business date the figures are computed for.
    pub fn as_of(&self) -> NaiveDate {
        self.config
            .as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// The policy every answer carries: scripts and styles only from Arrears itself, no framing,
/// no sniffing, no referrers sent elsewhere.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Every route, with request logging and the security headers.
pub fn app(state: AppState) -> Router {
    let mut router = routes::router().with_state(state).layer(
        TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    );
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}

/// Serves until `shutdown` resolves, then finishes the requests in flight. `ready` is told
/// the address once the server listens (port 0 picks a free one).
pub async fn serve(
    state: AppState,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let listen = state.config.listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| WebError::Invalid(format!("cannot listen on {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let schedules = state
        .config
        .run_schedules
        .then(|| routes::schedules::start(state.store.clone()));
    ready(address);
    // The first pages of the day need the book's snapshot and trend: make them now.
    let (books, store, as_of) = (state.books.clone(), state.store.clone(), state.as_of());
    tokio::spawn(async move {
        if let Err(e) = books.snapshot(&store, as_of).await {
            tracing::warn!(error = %e, "cannot prepare the book's snapshot");
        }
        if let Err(e) = books.trend(&store, as_of).await {
            tracing::warn!(error = %e, "cannot prepare the book's trend");
        }
    });
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| WebError::Internal(format!("the server stopped: {e}")));
    if let Some(task) = schedules {
        task.abort();
    }
    served
}

/// How often `serve` looks for credit class schedules that are due.
pub const SCHEDULE_CHECK: Duration = Duration::from_secs(60);
