//! The rule editor: a credit class rule's form with a live preview of the customers (or
//! invoices) its filter matches, saved as a one-row `rules.csv` sync so that a rule saved
//! here is checked exactly as an imported one and recorded in the sync history.

use arrears_domain::filter::{Filter, View};
use arrears_store::{Record, RuleRow};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::syncs::{csv_row, sync_one};
use crate::auth::{Admin, BearerAdmin, Caller, stored_text};
use crate::pages::{Nav, PreviewPart, RulePage, render, url_encode};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/rules/new", get(new_rule))
        .route("/admin/rules/preview", get(preview_part))
        .route(
            "/admin/rules/{company_id}/{credit_class}/{seq_no}",
            get(edit_rule),
        )
        .route("/admin/rules", axum::routing::post(save))
        .route("/api/v1/rules", axum::routing::post(api_save))
}

/// How many matches a preview lists.
const SHOWN: usize = 25;

/// The rule form as typed: every field text, so that a wrong one can be shown back.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub company_id: String,
    #[serde(default)]
    pub credit_class: String,
    #[serde(default)]
    pub seq_no: String,
    #[serde(default)]
    pub action_code: String,
    #[serde(default)]
    pub view: String,
    #[serde(default)]
    pub filter: String,
    pub standalone: Option<String>,
    pub create_if_exists: Option<String>,
    pub auto_close: Option<String>,
    #[serde(default)]
    pub days_to_respond: String,
    #[serde(default)]
    pub override_user: String,
    #[serde(default)]
    pub followup_days: String,
    #[serde(default)]
    pub followup_user: String,
    pub active: Option<String>,
    /// `save` or `preview`.
    pub action: Option<String>,
}

fn flag(on: bool) -> Option<String> {
    on.then(|| "on".to_owned())
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl RuleForm {
    pub fn of(r: &RuleRow) -> RuleForm {
        RuleForm {
            company_id: r.company_id.clone(),
            credit_class: r.credit_class.clone(),
            seq_no: r.seq_no.to_string(),
            action_code: r.action_code.clone(),
            view: r.view.clone(),
            filter: r.filter.clone(),
            standalone: flag(r.standalone),
            create_if_exists: flag(r.create_if_exists),
            auto_close: flag(r.auto_close),
            days_to_respond: opt(&r.days_to_respond),
            override_user: opt(&r.override_user),
            followup_days: opt(&r.followup_days),
            followup_user: opt(&r.followup_user),
            active: flag(r.active),
            ..RuleForm::default()
        }
    }

    /// The form as the one data row of a `rules.csv`, with its header.
    fn csv(&self) -> Result<Vec<u8>, WebError> {
        let yes = |f: &Option<String>| if f.is_some() { "yes" } else { "no" };
        csv_row(
            RuleRow::COLUMNS,
            &[
                self.company_id.trim(),
                self.credit_class.trim(),
                self.seq_no.trim(),
                self.action_code.trim(),
                self.view.trim(),
                self.filter.trim(),
                yes(&self.standalone),
                yes(&self.create_if_exists),
                yes(&self.auto_close),
                self.days_to_respond.trim(),
                self.override_user.trim(),
                self.followup_days.trim(),
                self.followup_user.trim(),
                yes(&self.active),
            ],
        )
    }
}

async fn new_rule(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Query(q): Query<RuleForm>,
) -> Result<Html<String>, PageError> {
    let form = RuleForm {
        view: if q.view.is_empty() {
            "customer".to_owned()
        } else {
            q.view.clone()
        },
        active: Some("on".to_owned()),
        ..q
    };
    let page = page_with_preview(&app, &caller, form, Vec::new()).await?;
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn edit_rule(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Path((company, class, seq_no)): Path<(String, String, String)>,
    Query(saved): Query<Saved>,
) -> Result<Html<String>, PageError> {
    stored_text(&[&company, &class])?;
    let seq_no: i64 = seq_no.parse().map_err(|_| WebError::NotFound)?;
    let row = app
        .store
        .setup::<RuleRow>(Some(&company))
        .await?
        .into_iter()
        .find(|r| r.credit_class == class && r.seq_no == seq_no)
        .ok_or(WebError::NotFound)?;
    let mut page = page_with_preview(&app, &caller, RuleForm::of(&row), Vec::new()).await?;
    page.saved = saved.saved.is_some();
    render(&page)
}

/// The preview of a filter in a view over a class's customers, or why there is none.
async fn preview_of(
    app: &AppState,
    company: &str,
    class: &str,
    view: &str,
    filter: &str,
) -> Result<PreviewPart, WebError> {
    let mut part = PreviewPart::default();
    if company.trim().is_empty() || class.trim().is_empty() || filter.trim().is_empty() {
        part.problem =
            Some("give a company, a credit class and a filter to see what it matches".to_owned());
        return Ok(part);
    }
    stored_text(&[company, class])?;
    let Some(view) = View::parse(view.trim()) else {
        part.problem = Some(format!("view: expected customer or invoice, not {view:?}"));
        return Ok(part);
    };
    let filter = match Filter::new(filter.trim(), view) {
        Ok(f) => f,
        Err(e) => {
            part.problem = Some(format!("filter: {e}"));
            return Ok(part);
        }
    };
    let found = arrears_actions::preview(
        &app.store,
        company.trim(),
        class.trim(),
        filter,
        app.as_of(),
        SHOWN,
    )
    .await?;
    part.fill(found, view == View::Invoice, app.as_of());
    Ok(part)
}

async fn page_with_preview(
    app: &AppState,
    caller: &Caller,
    form: RuleForm,
    problems: Vec<(String, String)>,
) -> Result<RulePage, WebError> {
    let preview = preview_of(
        app,
        &form.company_id,
        &form.credit_class,
        &form.view,
        &form.filter,
    )
    .await?;
    Ok(RulePage {
        nav: Nav::new(caller, "admin"),
        form,
        problems,
        preview,
        saved: false,
    })
}

#[derive(Debug, Default, Deserialize)]
struct PreviewQuery {
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    credit_class: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    filter: String,
}

/// The preview alone, for the editor's script to put in place as the filter is typed.
async fn preview_part(
    State(app): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<PreviewQuery>,
) -> Result<Html<String>, PageError> {
    let part = preview_of(&app, &q.company_id, &q.credit_class, &q.view, &q.filter).await?;
    render(&part)
}

async fn save(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Form(form): Form<RuleForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&form.csrf)?;
    if form.action.as_deref() == Some("preview") {
        let page = page_with_preview(&app, &caller, form, Vec::new()).await?;
        return Ok(render(&page)?.into_response());
    }
    let source = format!(
        "rule editor: {} {} {}",
        form.company_id.trim(),
        form.credit_class.trim(),
        form.seq_no.trim()
    );
    let problems = sync_one(&app, &caller, "rules.csv", &form.csv()?, source).await?;
    if problems.is_empty() {
        let target = format!(
            "/admin/rules/{}/{}/{}?saved=1",
            url_encode(form.company_id.trim()),
            url_encode(form.credit_class.trim()),
            url_encode(form.seq_no.trim())
        );
        return Ok(Redirect::to(&target).into_response());
    }
    let page = page_with_preview(&app, &caller, form, problems).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
/// A rule as the API takes it.
#[derive(Debug, Deserialize)]
struct RuleRequest {
    company_id: String,
    credit_class: String,
    seq_no: i64,
    action_code: String,
    view: String,
    filter: String,
    #[serde(default)]
    standalone: bool,
    #[serde(default)]
    create_if_exists: bool,
    #[serde(default)]
    auto_close: bool,
    days_to_respond: Option<i64>,
    override_user: Option<String>,
    followup_days: Option<i64>,
    followup_user: Option<String>,
    active: Option<bool>,
}

impl RuleRequest {
    fn form(self) -> RuleForm {
        RuleForm {
            company_id: self.company_id,
            credit_class: self.credit_class,
            seq_no: self.seq_no.to_string(),
            action_code: self.action_code,
            view: self.view,
            filter: self.filter,
            standalone: flag(self.standalone),
            create_if_exists: flag(self.create_if_exists),
            auto_close: flag(self.auto_close),
            days_to_respond: opt(&self.days_to_respond),
            override_user: opt(&self.override_user),
            followup_days: opt(&self.followup_days),
            followup_user: opt(&self.followup_user),
            active: flag(self.active.unwrap_or(true)),
            ..RuleForm::default()
        }
    }
}

/// Adds or changes a rule (its key: company, credit class, sequence number), checked as an
/// imported one: 422 with every problem by column, and nothing written.
async fn api_save(
    State(app): State<AppState>,
    BearerAdmin(caller): BearerAdmin,
    body: Result<axum::Json<RuleRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), WebError> {
    let axum::Json(rule) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let form = rule.form();
    let source = format!(
        "api: rule {} {} {}",
        form.company_id.trim(),
        form.credit_class.trim(),
        form.seq_no
    );
    let problems = sync_one(&app, &caller, "rules.csv", &form.csv()?, source).await?;
    Ok(problems_answer(problems))
}

/// 200 when a one-row sync wrote its row; else 422 with every problem by column.
pub(super) fn problems_answer(
    problems: Vec<(String, String)>,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    if problems.is_empty() {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "saved": true })),
        );
    }
    let listed: Vec<serde_json::Value> = problems
        .iter()
        .map(|(column, problem)| serde_json::json!({ "column": column, "problem": problem }))
        .collect();
    let first = problems
        .first()
        .map(|(c, p)| format!("{c}: {p}"))
        .unwrap_or_default();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(serde_json::json!({ "error": first, "problems": listed })),
    )
}
