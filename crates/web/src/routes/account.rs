//! Account Detail: the customer header, the Customer Info tabs (Credit, Info, History,
//! Contacts, Transactions), the Statement of Accounts, open issues, and account notes, which
//! every role that sees the customer may add (inquiry users too).

use arrears_actions::open_items_of;
use arrears_domain::Value;
use arrears_domain::filter::{Row, View};
use arrears_domain::rules::CustomerRow;
use arrears_store::{AccountNote, EventQuery, Queue};
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{Bearer, Caller, Signed, stored_text};
use crate::pages::{
    AccountPage, EventLine, ExpectedLine, HistoryLine, Nav, Scores, render, url_encode,
};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{company_id}/{customer_id}", get(account))
        .route(
            "/customers/{company_id}/{customer_id}/notes",
            axum::routing::post(add_note),
        )
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/notes",
            get(api_notes).post(api_add_note),
        )
}

/// The longest note kept.
const MAX_NOTE: usize = 4000;

/// Renders Account Detail, with a problem on the note form when there is one.
async fn detail(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
    note: Option<(String, String)>,
) -> Result<Html<String>, PageError> {
    stored_text(&[company, customer])?;
    let as_of = app.as_of();
    let (facts, items) = open_items_of(&app.store, company, customer, Some(caller.viewer()), as_of)
        .await?
        .ok_or(WebError::NotFound)?;
    let store = &app.store;
    let issues = store
        .work_queue(Queue::Customer(company, customer), true)
        .await?;
    let row = CustomerRow {
        facts: &facts,
        as_of,
    };
    let value = |name: &str| -> Value {
        View::Customer
            .catalog()
            .slot(name)
            .map_or(Value::None, |s| row.cell(s).to_value())
    };
    let mut page = AccountPage::new(
        Nav::new(caller, "accounts"),
        &facts,
        value,
        &items,
        issues,
        as_of,
    );
    page.contacts = store.contacts(company, customer).await?;
    let activities = store.activities_of(company, customer).await?;
    let disputes = store.disputes_of(company, customer).await?;
    page.expected = store
        .expected_of(company, customer)
        .await?
        .into_iter()
        .map(ExpectedLine::new)
        .collect();
    page.communications = activities
        .iter()
        .map(|a| HistoryLine::new(a, &activities, &disputes, as_of).with_expected(&page.expected))
        .collect();
    page.disputes = disputes
        .into_iter()
        .map(super::disputes::dispute_line)
        .collect();
    page.events = store
        .events(&EventQuery::customer(company, customer))
        .await?
        .iter()
        .rev()
        .map(EventLine::new)
        .collect();
    page.works = caller.role.works_accounts();
    let settings = store.settings().await?;
    page.scores = Scores::new(|n| facts.text(n), &settings);
    page.notes = store.account_notes(company, customer).await?;
    page.assignment = store.assignment(company, customer).await?;
    page.assignable = super::assignments::assignable(app, caller).await?;
    page.transactions = store.items_of(company, customer).await?;
    page.transactions
        .sort_by(|a, b| (b.0.tran_date, &b.1).cmp(&(a.0.tran_date, &a.1)));
    if let Some((typed, problem)) = note {
        page.note_typed = typed;
        page.note_problem = Some(problem);
    }
    render(&page)
}

async fn account(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    detail(&app, &caller, &company, &customer, None).await
}

/// Why a note cannot be kept, if it cannot.
fn note_problem(note: &str) -> Option<String> {
    if note.trim().is_empty() {
        Some("a note needs some text".to_owned())
    } else if note.chars().count() > MAX_NOTE {
        Some(format!("a note holds at most {MAX_NOTE} characters"))
    } else {
        None
    }
}

/// Adds a note to a customer the caller sees; not found otherwise.
async fn keep_note(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
    note: &str,
) -> Result<i64, WebError> {
    stored_text(&[company, customer])?;
    if !app.store.sees(caller.viewer(), company, customer).await? {
        return Err(WebError::NotFound);
    }
    if let Some(problem) = note_problem(note) {
        return Err(WebError::Invalid(format!("note: {problem}")));
    }
    let text: String = note
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let id = app
        .store
        .add_account_note(company, customer, &text, &caller.user_id, Utc::now())
        .await?;
    tracing::info!(user = %caller.user_id, company, customer, note = id, "account note added");
    Ok(id)
}

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn add_note(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer)): Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    match keep_note(&app, &caller, &company, &customer, &f.note).await {
        Ok(_) => {
            let target = format!(
                "/customers/{}/{}#notes",
                url_encode(&company),
                url_encode(&customer)
            );
            Ok(Redirect::to(&target).into_response())
        }
        Err(WebError::Invalid(problem)) => {
            let page = detail(&app, &caller, &company, &customer, Some((f.note, problem))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

fn note_json(n: &AccountNote) -> serde_json::Value {
    serde_json::json!({
        "note_id": n.note_id,
        "note": n.note,
        "created_at": n.created_at.to_rfc3339(),
        "created_by": n.created_by,
    })
}

async fn api_notes(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    stored_text(&[&company, &customer])?;
    if !app.store.sees(caller.viewer(), &company, &customer).await? {
        return Err(WebError::NotFound);
    }
    let notes = app.store.account_notes(&company, &customer).await?;
    let items: Vec<serde_json::Value> = notes.iter().map(note_json).collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

#[derive(Debug, Deserialize)]
struct NewNote {
    note: String,
}

async fn api_add_note(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
    body: Result<Json<NewNote>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    let Json(new) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let id = keep_note(&app, &caller, &company, &customer, &new.note).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "note_id": id })),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn notes_need_text_and_fit_a_page() {
        assert!(super::note_problem("  ").is_some());
        assert!(super::note_problem(&"x".repeat(4001)).is_some());
        assert_eq!(super::note_problem("Promised to pay Friday"), None);
    }
}
