//! Health (the process answers) and readiness (the store answers too).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
}

async fn health() -> &'static str {
    "ok\n"
}

async fn ready(State(app): State<AppState>) -> (StatusCode, &'static str) {
    match app.store.settings().await {
        Ok(_) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::extract::State;
    use axum::http::StatusCode;

    use crate::{AppState, Config};

    #[tokio::test]
    async fn readiness_fails_when_the_store_does_not_answer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ready.db").display());
        let store = arrears_store::Store::open(&url).await.unwrap();
        let app = AppState::new(store.clone(), Config::default());
        assert_eq!(super::ready(State(app.clone())).await.0, StatusCode::OK);
        store.close().await;
        let (status, body) = super::ready(State(app)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "the store does not answer\n");
        assert_eq!(super::health().await, "ok\n");
    }
}
