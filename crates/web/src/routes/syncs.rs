//! The sync from the browser and the API: upload a sync's CSV files, see every problem, or
//! the counts per file; the sync log; and one-row syncs that the admin forms write.

use std::path::Path;

use arrears_import::Failure;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::auth::{Admin, Bearer, BearerAdmin, Caller};
use crate::pages::{Nav, SyncPage, render};
use crate::{AppState, PageError, WebError};

/// The largest upload a sync takes.
pub const MAX_UPLOAD: usize = 512 << 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/sync",
            get(sync_form)
                .post(sync_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/api/v1/syncs",
            get(api_syncs)
                .post(api_sync_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
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
