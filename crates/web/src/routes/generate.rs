//! Generate Actions from the browser (preview, then run) and the API, and the run log.

use arrears_actions::{ChangeKind, Outcome};
use axum::Json;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::{Admin, Bearer, Caller};
use crate::pages::{ChangeLine, GeneratePage, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/generate", get(generate_form).post(generate))
        .route("/api/v1/generate-runs", get(api_runs))
        .route("/api/v1/generate", get(api_runs).post(api_generate))
}

#[derive(Debug, Default, Deserialize)]
struct GenerateForm {
    #[serde(default)]
    csrf: String,
    as_of: Option<String>,
    credit_class: Option<String>,
    company: Option<String>,
    /// `preview` or `run`.
    action: Option<String>,
}

async fn generate_form(
    State(app): State<AppState>,
    Admin(caller): Admin,
) -> Result<Html<String>, PageError> {
    render(&GeneratePage::new(Nav::new(&caller, "admin"), app.as_of()))
}

/// Runs (or previews) generate as the form asks.
async fn run_generate(
    app: &AppState,
    caller: &Caller,
    f: &GenerateForm,
    preview: bool,
) -> Result<Outcome, WebError> {
    let as_of = match f.as_of.as_deref().map(str::trim) {
        None | Some("") => app.as_of(),
        Some(text) => arrears_domain::parse_date(text)
            .map_err(|e| WebError::Invalid(format!("as_of: {e}")))?,
    };
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let options = arrears_actions::Options {
        as_of,
        company: given(&f.company),
        credit_class: given(&f.credit_class),
        preview,
        run_by: caller.user_id.clone(),
        source: "web".to_owned(),
    };
    Ok(arrears_actions::generate(&app.store, &options).await?)
}

/// The most changes a page lists.
const SHOWN: usize = 500;

async fn generate(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(f): Form<GenerateForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let preview = f.action.as_deref() != Some("run");
    let mut page = GeneratePage::new(Nav::new(&caller, "admin"), app.as_of());
    page.as_of = f.as_of.clone().unwrap_or_default();
    page.credit_class = f.credit_class.clone().unwrap_or_default();
    page.company = f.company.clone().unwrap_or_default();
    match run_generate(&app, &caller, &f, preview).await {
        Ok(outcome) => {
            let created = outcome
                .changes
                .iter()
                .filter(|c| c.change == ChangeKind::Create)
                .count();
            let closed = outcome.changes.len() - created;
            page.summary = Some(match (preview, outcome.run_id) {
                (true, _) => format!(
                    "preview: generate would open {created} and close {closed} issue(s); nothing was written"
                ),
                (false, Some(run)) => {
                    format!("run {run}: {created} issue(s) opened, {closed} closed")
                }
                (false, None) => format!("{created} issue(s) opened, {closed} closed"),
            });
            page.previewed = preview;
            page.total = outcome.changes.len();
            page.changes = outcome
                .changes
                .iter()
                .take(SHOWN)
                .map(ChangeLine::new)
                .collect();
            page.errors = outcome.errors;
            Ok(render(&page)?.into_response())
        }
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            page.errors.push(e.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn api_runs(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let runs = app.store.generate_runs(100).await?;
    let items: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "run_id": r.run_id,
                "company_id": r.company_id,
                "run_date": r.run_date.to_string(),
                "credit_class": r.credit_class,
                "started_at": r.started_at.to_rfc3339(),
                "run_by": r.run_by,
                "source": r.source,
                "created": r.created,
                "closed": r.closed,
                "errors": r.errors,
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct GenerateRequest {
    as_of: Option<String>,
    company: Option<String>,
    credit_class: Option<String>,
    #[serde(default)]
    preview: bool,
}

/// Generates (or previews) actions: the run's id and what it opened and closed.
async fn api_generate(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    body: Result<Json<GenerateRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let Json(r) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let form = GenerateForm {
        csrf: String::new(),
        as_of: r.as_of,
        credit_class: r.credit_class,
        company: r.company,
        action: None,
    };
    let outcome = run_generate(&app, &caller, &form, r.preview).await?;
    let created = outcome
        .changes
        .iter()
        .filter(|c| c.change == ChangeKind::Create)
        .count();
    let changes: Vec<serde_json::Value> = outcome
        .changes
        .iter()
        .take(SHOWN)
        .map(|c| {
            serde_json::json!({
                "change": c.change,
                "company_id": c.company_id,
                "customer_id": c.customer_id,
                "credit_class": c.credit_class,
                "seq_no": c.seq_no,
                "action_code": c.action_code,
                "user_id": c.user_id,
                "start_date": c.start_date.to_string(),
                "respond_by": c.respond_by.to_string(),
                "tagged": c.tagged,
                "reason": c.reason,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "preview": r.preview,
        "run_id": outcome.run_id,
        "created": created,
        "closed": outcome.changes.len() - created,
        "changes": changes,
        "errors": outcome.errors,
    })))
}
