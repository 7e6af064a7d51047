//! Admin's front page: credit classes, rules and schedules, generate runs, sync history and
//! users; and the rules in `/api/v1`. Only admins get past `Admin` and `BearerAdmin`, before
//! any body is read.

use arrears_store::{CreditClassRow, RuleRow};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use crate::auth::{Admin, Bearer};
use crate::pages::{AdminPage, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/api/v1/rules", get(api_rules))
}

async fn home(
    State(app): State<AppState>,
    Admin(caller): Admin,
) -> Result<Html<String>, PageError> {
    let store = &app.store;
    render(&AdminPage {
        nav: Nav::new(&caller, "admin"),
        accounts: store.accounts().await?,
        classes: store.setup::<CreditClassRow>(None).await?,
        rules: store.setup::<RuleRow>(None).await?,
        syncs: store.syncs(20).await?,
        runs: store.generate_runs(20).await?,
    })
}

async fn api_rules(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let items: Vec<serde_json::Value> = app
        .store
        .setup::<RuleRow>(None)
        .await?
        .iter()
        .map(|r| {
            serde_json::json!({
                "company_id": r.company_id,
                "credit_class": r.credit_class,
                "seq_no": r.seq_no,
                "action_code": r.action_code,
                "view": r.view,
                "filter": r.filter,
                "standalone": r.standalone,
                "create_if_exists": r.create_if_exists,
                "auto_close": r.auto_close,
                "days_to_respond": r.days_to_respond,
                "override_user": r.override_user,
                "followup_days": r.followup_days,
                "followup_user": r.followup_user,
                "active": r.active,
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}
