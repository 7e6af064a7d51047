//! Admin: the sync (upload a sync's CSV files, see every problem, import), Generate Actions
//! (preview, then run), and the logs of both. Only admins get past `Admin`, before any body
//! is read.

use std::path::Path;

use arrears_actions::{ChangeKind, Outcome};
use arrears_import::Failure;
use arrears_store::{CreditClassRow, RuleRow};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::{Admin, Bearer, BearerAdmin, Caller};
use crate::pages::{AdminPage, ChangeLine, GeneratePage, Nav, SyncPage, render};
use crate::{AppState, PageError, WebError};

/// The largest upload a sync takes.
pub const MAX_UPLOAD: usize = 512 << 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route(
            "/admin/sync",
            get(sync_form)
                .post(sync_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/admin/generate", get(generate_form).post(generate))
        .route(
            "/api/v1/syncs",
            get(api_syncs)
                .post(api_sync_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/generate-runs", get(api_runs))
        .route("/api/v1/generate", get(api_runs).post(api_generate))
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

async fn sync_form(Admin(caller): Admin) -> Result<Html<String>, PageError> {
    render(&SyncPage::new(Nav::new(&caller, "admin")))
}

/// A file name a sync may hold: a plain name, never a path.
fn plain_name(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.contains(['/', '\\', '\0'])
        && name != "."
        && name != "..";
    ok.then_some(name)
}

/// Reads the uploaded files into `dir`; the form's CSRF token.
async fn receive(multipart: &mut Multipart, dir: &Path) -> Result<(String, Vec<String>), WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| WebError::BadRequest(e.body_text());
    let mut csrf = String::new();
    let mut names = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad)?,
            Some("files") => {
                let Some(name) = field.file_name().map(str::to_owned) else {
                    continue;
                };
                if name.is_empty() {
                    continue;
                }
                let name = plain_name(&name)
                    .ok_or_else(|| WebError::Invalid(format!("{name:?} is not a file name")))?
                    .to_owned();
                let bytes = field.bytes().await.map_err(bad)?;
                std::fs::write(dir.join(&name), &bytes)
                    .map_err(|e| WebError::Internal(format!("cannot keep the upload: {e}")))?;
                names.push(name);
            }
            _ => {}
        }
    }
    Ok((csrf, names))
}

async fn sync_upload(
    State(app): State<AppState>,
    Admin(caller): Admin,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let dir = tempfile::tempdir().map_err(|e| WebError::Internal(e.to_string()))?;
    let (csrf, names) = receive(&mut multipart, dir.path()).await?;
    caller.check_csrf(&csrf)?;
    let mut page = SyncPage::new(Nav::new(&caller, "admin"));
    if names.is_empty() {
        page.problems
            .push("choose the CSV files of a sync first".to_owned());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let options = arrears_import::Options {
        sync_date: app.as_of(),
        run_by: caller.user_id.clone(),
        progress: false,
        source: Some(format!("upload: {}", names.join(", "))),
    };
    let status = match arrears_import::sync(&app.store, dir.path(), options).await {
        Ok(report) => {
            page.done = Some(format!(
                "sync {} imported {}",
                report.sync_id,
                report
                    .files
                    .iter()
                    .map(|f| format!(
                        "{}: {} new, {} changed, {} unchanged",
                        f.file, f.inserted, f.updated, f.unchanged
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            page.warnings = report.warnings;
            StatusCode::OK
        }
        Err(Failure::Problems {
            problems,
            more,
            warnings,
            sync_id,
        }) => {
            page.failed = Some(sync_id);
            page.problems = problems.iter().map(ToString::to_string).collect();
            if more > 0 {
                page.problems.push(format!("… and {more} more"));
            }
            page.warnings = warnings;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(Failure::Folder(why)) => {
            let shown = why.replace(&dir.path().display().to_string(), "the upload");
            page.problems.push(shown);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(Failure::Store(e)) => return Err(PageError(WebError::Store(e))),
    };
    Ok((status, render(&page)?).into_response())
}

/// Imports one setup file written by a form, exactly as a sync of it: the problems by
/// column when it is refused (nothing is written then).
pub(super) async fn sync_one(
    app: &AppState,
    caller: &Caller,
    file: &str,
    content: &[u8],
    source: String,
) -> Result<Vec<(String, String)>, WebError> {
    let dir = tempfile::tempdir().map_err(|e| WebError::Internal(e.to_string()))?;
    std::fs::write(dir.path().join(file), content)
        .map_err(|e| WebError::Internal(format!("cannot write {file}: {e}")))?;
    let options = arrears_import::Options {
        sync_date: app.as_of(),
        run_by: caller.user_id.clone(),
        progress: false,
        source: Some(source),
    };
    match arrears_import::sync(&app.store, dir.path(), options).await {
        Ok(_) => Ok(Vec::new()),
        Err(Failure::Problems { problems, .. }) => Ok(problems
            .iter()
            .map(|p| (p.column.clone(), p.problem.clone()))
            .collect()),
        Err(Failure::Folder(why)) => Err(WebError::Internal(why)),
        Err(Failure::Store(e)) => Err(WebError::Store(e)),
    }
}

/// One data row of a CSV file with its header.
pub(super) fn csv_row(header: &[&str], row: &[&str]) -> Result<Vec<u8>, WebError> {
    let failed = |e: &dyn std::fmt::Display| WebError::Internal(format!("cannot write a row: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(|e| failed(&e))?;
    out.write_record(row).map_err(|e| failed(&e))?;
    out.into_inner().map_err(|e| failed(&e))
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

async fn api_syncs(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
) -> Result<Json<serde_json::Value>, WebError> {
    caller.must_administer()?;
    let syncs = app.store.syncs(100).await?;
    let items: Vec<serde_json::Value> = syncs
        .iter()
        .map(|s| {
            serde_json::json!({
                "sync_id": s.sync_id,
                "started_at": s.started_at.to_rfc3339(),
                "sync_date": s.sync_date.to_string(),
                "source": s.source,
                "run_by": s.run_by,
                "status": s.status.as_str(),
                "problems": s.problems,
                "files": s.files.iter().map(|f| serde_json::json!({
                    "file": f.file, "rows": f.rows, "inserted": f.inserted,
                    "updated": f.updated, "unchanged": f.unchanged,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
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

/// Imports the uploaded CSV files of one sync (`files` parts): the counts per file, or
/// 422 with every problem and nothing written.
async fn api_sync_upload(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    let dir = tempfile::tempdir().map_err(|e| WebError::Internal(e.to_string()))?;
    let (_, names) = receive(&mut multipart, dir.path()).await?;
    if names.is_empty() {
        return Err(WebError::Invalid(
            "files: send the CSV files of a sync as parts named `files`".to_owned(),
        ));
    }
    let options = arrears_import::Options {
        sync_date: app.as_of(),
        run_by: caller.user_id.clone(),
        progress: false,
        source: Some(format!("api upload: {}", names.join(", "))),
    };
    match arrears_import::sync(&app.store, dir.path(), options).await {
        Ok(report) => {
            let files: Vec<serde_json::Value> = report
                .files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "file": f.file, "rows": f.rows, "inserted": f.inserted,
                        "updated": f.updated, "unchanged": f.unchanged,
                    })
                })
                .collect();
            Ok((
                StatusCode::OK,
                Json(serde_json::json!({
                    "sync_id": report.sync_id,
                    "files": files,
                    "warnings": report.warnings,
                })),
            ))
        }
        Err(failure @ Failure::Problems { .. }) => {
            let error = failure.to_string();
            let (sync_id, listed) = match failure {
                Failure::Problems {
                    sync_id, problems, ..
                } => (sync_id, problems.iter().map(ToString::to_string).collect()),
                _ => (0, Vec::<String>::new()),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({
                    "error": error,
                    "sync_id": sync_id,
                    "problems": listed,
                })),
            ))
        }
        Err(Failure::Folder(why)) => Err(WebError::Invalid(
            why.replace(&dir.path().display().to_string(), "the upload"),
        )),
        Err(Failure::Store(e)) => Err(WebError::Store(e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uploaded_names_are_plain_file_names() {
        assert_eq!(super::plain_name("invoices.csv"), Some("invoices.csv"));
        for bad in ["../etc/passwd", "a/b.csv", "a\\b.csv", "..", ""] {
            assert_eq!(super::plain_name(bad), None, "{bad}");
        }
    }
}
