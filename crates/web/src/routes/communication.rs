//! The Communication screen: logging a communication on a customer or an issue, working an
//! activity (note, call result, tags, follow-up, complete), resolving and reassigning issues;
//! as pages and as `/api/v1`. Every change conflicts rather than overwrites, and lands in the
//! event log.

use arrears_actions::ActionsError;
use arrears_actions::desk::{self, Communication};
use arrears_domain::parse_date;
use arrears_domain::work::STANDARD_ACTIVITY_TYPES;
use arrears_store::{ActionCodeRow, Activity, ActivityTypeRow, Actor, Logged};
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{Bearer, Caller, Signed, stored_text};
use crate::pages::{
    CommunicatePage, CommunicationForm, Nav, Scores, TagOption, TypeOption, account_link, display,
    render,
};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{company_id}/{customer_id}/communicate",
            get(new_page).post(new_post),
        )
        .route(
            "/activities/{activity_id}",
            get(activity_page).post(activity_post),
        )
        .route("/issues/{issue_id}/resolve", post(resolve_post))
        .route("/issues/{issue_id}/reassign", post(reassign_post))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/activities",
            get(api_activities).post(api_log),
        )
        .route(
            "/api/v1/activities/{activity_id}",
            get(api_activity).patch(api_edit),
        )
        .route(
            "/api/v1/issues/{issue_id}",
            get(api_issue).patch(api_issue_change),
        )
}

/// Who acts, now, on the business date.
pub fn actor<'a>(app: &AppState, caller: &'a Caller) -> Actor<'a> {
    Actor {
        user_id: &caller.user_id,
        at: Utc::now(),
        business_date: app.as_of(),
    }
}

/// Refuses inquiry users, who read accounts and add account notes but log no work.
pub fn must_work(caller: &Caller) -> Result<(), WebError> {
    if caller.role.works_accounts() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "inquiry users read accounts and add account notes; they cannot log or change work"
                .to_owned(),
        ))
    }
}

/// A customer's credit scores, with the range and colour the settings give them.
pub async fn scores(app: &AppState, company: &str, customer: &str) -> Result<Scores, WebError> {
    let settings = app.store.settings().await?;
    let rows = app
        .store
        .customer_rows(arrears_store::Scope::customer(company, customer), None)
        .await?;
    Ok(rows
        .first()
        .map(|c| Scores::new(|n| c.text(n), &settings))
        .unwrap_or_default())
}

/// A customer the caller sees; not found otherwise.
pub async fn seen(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
) -> Result<(), WebError> {
    stored_text(&[company, customer])?;
    if app.store.sees(caller.viewer(), company, customer).await? {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

/// An activity of a customer the caller sees.
async fn seen_activity(
    app: &AppState,
    caller: &Caller,
    activity_id: i64,
) -> Result<Activity, WebError> {
    let a = app
        .store
        .activity(activity_id)
        .await?
        .ok_or(WebError::NotFound)?;
    seen(app, caller, &a.record.company_id, &a.record.customer_id).await?;
    Ok(a)
}

/// Reads the Communication form, whose invoice checkboxes repeat one name.
fn read_form(pairs: &[(String, String)]) -> Result<(Communication, CommunicationForm), WebError> {
    let mut c = Communication::default();
    let mut typed = CommunicationForm::default();
    let some = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    for (key, value) in pairs {
        match key.as_str() {
            "issue_id" => {
                c.issue_id = some(value)
                    .map(|v| v.parse())
                    .transpose()
                    .map_err(|_| WebError::Invalid(format!("issue_id: not a number {value:?}")))?
            }
            "activity_type" => {
                c.activity_type = some(value);
                typed.activity_type.clone_from(value);
            }
            "action_code" => {
                c.action_code = some(value);
                typed.action_code.clone_from(value);
            }
            "description" => {
                c.description = some(value);
                typed.description.clone_from(value);
            }
            "note" => {
                c.note = some(value);
                typed.note.clone_from(value);
            }
            "call_result" => {
                c.call_result = some(value);
                typed.call_result.clone_from(value);
            }
            "tagged" => c.tagged.push(value.clone()),
            "followup_date" => typed.followup_date.clone_from(value),
            "followup_user" => {
                c.followup_user = some(value);
                typed.followup_user.clone_from(value);
            }
            "followup_desc" => {
                c.followup_desc = some(value);
                typed.followup_desc.clone_from(value);
            }
            "followup_days" => typed.followup_days.clone_from(value),
            "assigned_user" => {
                c.assigned_user = some(value);
                typed.assigned_user.clone_from(value);
            }
            "complete" => {
                c.complete = value == "true" || value == "on";
                typed.complete = c.complete;
            }
            "resolve" => {
                c.resolve = some(value);
                typed.resolve.clone_from(value);
            }
            "expected_amount" => {
                c.expected_amount = some(value);
                typed.expected_amount.clone_from(value);
            }
            "expected_date" => typed.expected_date.clone_from(value),
            "promise" => {
                c.promise = value == "true" || value == "on";
                typed.promise = c.promise;
            }
            _ => {}
        }
    }
    c.followup_date = some(&typed.followup_date)
        .map(|d| parse_date(&d))
        .transpose()
        .map_err(|e| WebError::Invalid(format!("followup_date: {e}")))?;
    c.expected_date = some(&typed.expected_date)
        .map(|d| parse_date(&d))
        .transpose()
        .map_err(|e| WebError::Invalid(format!("expected_date: {e}")))?;
    c.followup_days = some(&typed.followup_days)
        .map(|d| d.parse())
        .transpose()
        .map_err(|_| {
            WebError::Invalid(format!(
                "followup_days: not a number of days {:?}",
                typed.followup_days
            ))
        })?;
    Ok((c, typed))
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn version(pairs: &[(String, String)]) -> Result<i64, WebError> {
    let v = field(pairs, "version");
    v.trim()
        .parse()
        .map_err(|_| WebError::BadRequest(format!("version: not a number {v:?}")))
}

/// What a Communication screen is about: a customer, and the issue or activity worked.
struct Subject<'a> {
    company: &'a str,
    customer: &'a str,
    issue_id: Option<i64>,
    activity: Option<Activity>,
}

/// The Communication screen for a customer, on an issue or a new one, or for an activity.
async fn screen(
    app: &AppState,
    caller: &Caller,
    subject: Subject<'_>,
    form: CommunicationForm,
    problem: Option<String>,
) -> Result<Html<String>, PageError> {
    let Subject {
        company,
        customer,
        issue_id,
        activity,
    } = subject;
    let store = &app.store;
    let issue = match issue_id.or(activity.as_ref().map(|a| a.record.issue_id)) {
        Some(id) => Some(
            store
                .issue(id)
                .await?
                .filter(|i| i.company_id == company && i.customer_id == customer)
                .ok_or(WebError::NotFound)?,
        ),
        None => None,
    };
    let name = store
        .customers(Some(company))
        .await?
        .into_iter()
        .find(|c| c.customer_id == customer)
        .map(|c| c.name)
        .unwrap_or_default();
    let mut types: Vec<TypeOption> = STANDARD_ACTIVITY_TYPES
        .iter()
        .map(|t| TypeOption {
            name: (*t).to_owned(),
            base: (*t).to_owned(),
            procedures: None,
        })
        .collect();
    for t in store.setup::<ActivityTypeRow>(Some(company)).await? {
        match types.iter_mut().find(|o| o.name == t.activity_type) {
            Some(o) => o.procedures = t.procedures,
            None => types.push(TypeOption {
                name: t.activity_type,
                base: t.base_type,
                procedures: t.procedures,
            }),
        }
    }
    let codes = store
        .setup::<ActionCodeRow>(Some(company))
        .await?
        .into_iter()
        .map(|c| (c.action_code, c.description))
        .collect();
    let users = store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.active && !a.disabled && a.role != "inquiry")
        .map(|a| a.user_id)
        .collect();
    let checked: Vec<String> = activity
        .as_ref()
        .map(|a| a.tagged.iter().map(|t| t.tran_id.clone()).collect())
        .unwrap_or_default();
    let mut invoices: Vec<TagOption> = store
        .items_of(company, customer)
        .await?
        .into_iter()
        .filter(|(i, _, _)| i.is_open())
        .map(|(i, tran_id, _)| TagOption {
            checked: checked.contains(&tran_id),
            tran_id,
            tran_date: i.tran_date,
            due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
            balance: display(&arrears_domain::Value::Money(i.balance)),
        })
        .collect();
    invoices.sort_by(|a, b| (a.tran_date, &a.tran_id).cmp(&(b.tran_date, &b.tran_id)));
    let action = match &activity {
        Some(a) => format!("/activities/{}", a.record.activity_id),
        None => format!("{}/communicate", account_link(company, customer)),
    };
    render(&CommunicatePage {
        nav: Nav::new(caller, "actions"),
        company_id: company.to_owned(),
        customer_id: customer.to_owned(),
        name,
        action,
        issue,
        activity,
        types,
        codes,
        users,
        invoices,
        form,
        problem,
        as_of: app.as_of(),
        scores: scores(app, company, customer).await?,
    })
}

#[derive(Debug, Default, Deserialize)]
struct IssueQuery {
    issue: Option<i64>,
}

async fn new_page(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer)): Path<(String, String)>,
    Query(q): Query<IssueQuery>,
) -> Result<Html<String>, PageError> {
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let form = CommunicationForm {
        activity_type: "Phone".into(),
        ..CommunicationForm::default()
    };
    let subject = Subject {
        company: &company,
        customer: &customer,
        issue_id: q.issue,
        activity: None,
    };
    screen(&app, &caller, subject, form, None).await
}

/// After a change: back to the account's Communication History, or the problem beside the
/// form as typed (422), or the conflict (409).
async fn answer(
    app: &AppState,
    caller: &Caller,
    subject: Subject<'_>,
    result: Result<Logged, ActionsError>,
    typed: CommunicationForm,
) -> Result<Response, PageError> {
    let (company, customer) = (subject.company, subject.customer);
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}#communications",
            account_link(company, customer)
        ))
        .into_response()),
        Err(ActionsError::Invalid(problem)) => {
            let page = screen(app, caller, subject, typed, Some(problem)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ActionsError::Conflict(problem)) => {
            let fresh = match &subject.activity {
                Some(a) => app.store.activity(a.record.activity_id).await?,
                None => None,
            };
            let subject = Subject {
                activity: fresh,
                ..subject
            };
            let page = screen(app, caller, subject, typed, Some(problem)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(PageError(e.into())),
    }
}

async fn new_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    caller.check_csrf(&field(&pairs, "csrf"))?;
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let (c, typed) = match read_form(&pairs) {
        Ok(read) => read,
        Err(WebError::Invalid(p)) => {
            let subject = Subject {
                company: &company,
                customer: &customer,
                issue_id: None,
                activity: None,
            };
            let page = screen(
                &app,
                &caller,
                subject,
                CommunicationForm::default(),
                Some(p),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&app, &caller);
    let result = desk::log_communication(&app.store, &company, &customer, &c, actor).await;
    if let Ok(l) = &result {
        tracing::info!(user = %caller.user_id, company, customer, issue = l.issue_id, activity = l.activity_id, "communication logged");
    }
    let subject = Subject {
        company: &company,
        customer: &customer,
        issue_id: c.issue_id,
        activity: None,
    };
    answer(&app, &caller, subject, result, typed).await
}

/// The form as an activity holds it.
fn form_of(a: &Activity) -> CommunicationForm {
    let r = &a.record;
    CommunicationForm {
        activity_type: r.activity_type.clone(),
        action_code: r.action_code.clone().unwrap_or_default(),
        description: r.description.clone().unwrap_or_default(),
        note: r.note.clone().unwrap_or_default(),
        call_result: r.call_result.clone().unwrap_or_default(),
        followup_date: r.followup_date.map(|d| d.to_string()).unwrap_or_default(),
        followup_user: r.followup_user.clone().unwrap_or_default(),
        followup_desc: r.followup_desc.clone().unwrap_or_default(),
        followup_days: String::new(),
        assigned_user: r.assigned_user.clone().unwrap_or_default(),
        complete: !r.is_open,
        resolve: String::new(),
        ..CommunicationForm::default()
    }
}

async fn activity_page(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(activity_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let a = seen_activity(&app, &caller, activity_id).await?;
    let (company, customer) = (a.record.company_id.clone(), a.record.customer_id.clone());
    let form = form_of(&a);
    let subject = Subject {
        company: &company,
        customer: &customer,
        issue_id: None,
        activity: Some(a),
    };
    screen(&app, &caller, subject, form, None).await
}

async fn activity_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(activity_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    caller.check_csrf(&field(&pairs, "csrf"))?;
    let a = seen_activity(&app, &caller, activity_id).await?;
    must_work(&caller)?;
    let (company, customer) = (a.record.company_id.clone(), a.record.customer_id.clone());
    let version = version(&pairs)?;
    let (c, typed) = match read_form(&pairs) {
        Ok(read) => read,
        Err(WebError::Invalid(p)) => {
            let form = form_of(&a);
            let subject = Subject {
                company: &company,
                customer: &customer,
                issue_id: None,
                activity: Some(a),
            };
            let page = screen(&app, &caller, subject, form, Some(p)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&app, &caller);
    let result = desk::edit_activity(&app.store, activity_id, version, &c, actor).await;
    let subject = Subject {
        company: &company,
        customer: &customer,
        issue_id: None,
        activity: Some(a),
    };
    answer(&app, &caller, subject, result, typed).await
}

/// Where to go after an issue changed: its customer's Communication History.
fn after_issue(company: &str, customer: &str) -> Response {
    Redirect::to(&format!(
        "{}#communications",
        account_link(company, customer)
    ))
    .into_response()
}

async fn issue_of(
    app: &AppState,
    caller: &Caller,
    issue_id: i64,
) -> Result<arrears_store::IssueRecord, WebError> {
    let issue = app.store.issue(issue_id).await?.ok_or(WebError::NotFound)?;
    seen(app, caller, &issue.company_id, &issue.customer_id).await?;
    Ok(issue)
}

async fn resolve_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(issue_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    caller.check_csrf(&field(&pairs, "csrf"))?;
    let issue = issue_of(&app, &caller, issue_id).await?;
    must_work(&caller)?;
    let version = version(&pairs)?;
    desk::resolve_issue(
        &app.store,
        issue_id,
        version,
        &field(&pairs, "resolution"),
        actor(&app, &caller),
    )
    .await
    .map_err(WebError::from)?;
    Ok(after_issue(&issue.company_id, &issue.customer_id))
}

async fn reassign_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(issue_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    caller.check_csrf(&field(&pairs, "csrf"))?;
    let issue = issue_of(&app, &caller, issue_id).await?;
    must_work(&caller)?;
    let version = version(&pairs)?;
    let user = field(&pairs, "user");
    let user = (!user.trim().is_empty()).then_some(user.trim());
    desk::reassign_issue(&app.store, issue_id, version, user, actor(&app, &caller))
        .await
        .map_err(WebError::from)?;
    Ok(after_issue(&issue.company_id, &issue.customer_id))
}

fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, WebError> {
    body.map(|Json(b)| b)
        .map_err(|e| WebError::BadRequest(e.body_text()))
}

fn logged_json(l: &Logged) -> serde_json::Value {
    serde_json::json!({
        "issue_id": l.issue_id,
        "activity_id": l.activity_id,
        "followup_id": l.followup_id,
        "expected_id": l.expected_id,
    })
}

async fn api_activities(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let items = app.store.activities_of(&company, &customer).await?;
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

async fn api_log(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
    body: Result<Json<Communication>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let c = json_body(body)?;
    let logged =
        desk::log_communication(&app.store, &company, &customer, &c, actor(&app, &caller)).await?;
    Ok((StatusCode::CREATED, Json(logged_json(&logged))))
}

async fn api_activity(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(activity_id): Path<i64>,
) -> Result<Json<Activity>, WebError> {
    Ok(Json(seen_activity(&app, &caller, activity_id).await?))
}

/// An edit: the version read, and the Communication fields.
#[derive(Debug, Deserialize)]
struct Edit {
    version: i64,
    #[serde(flatten)]
    change: serde_json::Map<String, serde_json::Value>,
}

async fn api_edit(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(activity_id): Path<i64>,
    body: Result<Json<Edit>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen_activity(&app, &caller, activity_id).await?;
    must_work(&caller)?;
    let edit = json_body(body)?;
    let c: Communication = serde_json::from_value(serde_json::Value::Object(edit.change))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let logged = desk::edit_activity(
        &app.store,
        activity_id,
        edit.version,
        &c,
        actor(&app, &caller),
    )
    .await?;
    Ok(Json(logged_json(&logged)))
}

async fn api_issue(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(issue_id): Path<i64>,
) -> Result<Json<serde_json::Value>, WebError> {
    let issue = issue_of(&app, &caller, issue_id).await?;
    let activities: Vec<Activity> = app
        .store
        .activities_of(&issue.company_id, &issue.customer_id)
        .await?
        .into_iter()
        .filter(|a| a.record.issue_id == issue_id)
        .collect();
    let mut out = serde_json::to_value(&issue).map_err(|e| WebError::Internal(e.to_string()))?;
    out["activities"] =
        serde_json::to_value(&activities).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(Json(out))
}

/// Resolve (`resolve`) or reassign (`assigned_user`, null for the unassigned pool) an issue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueChange {
    version: i64,
    resolve: Option<String>,
    #[serde(default, with = "double_option")]
    assigned_user: Option<Option<String>>,
}

/// Tells a field left out from a field set to null.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

async fn api_issue_change(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(issue_id): Path<i64>,
    body: Result<Json<IssueChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, WebError> {
    issue_of(&app, &caller, issue_id).await?;
    must_work(&caller)?;
    let change = json_body(body)?;
    let actor = actor(&app, &caller);
    match (&change.resolve, &change.assigned_user) {
        (Some(resolution), None) => {
            desk::resolve_issue(&app.store, issue_id, change.version, resolution, actor).await?
        }
        (None, Some(user)) => {
            desk::reassign_issue(&app.store, issue_id, change.version, user.as_deref(), actor)
                .await?
        }
        _ => {
            return Err(WebError::BadRequest(
                "give either resolve (a resolution) or assigned_user (a user id, or null)".into(),
            ));
        }
    }
    let issue = app.store.issue(issue_id).await?.ok_or(WebError::NotFound)?;
    serde_json::to_value(&issue)
        .map(Json)
        .map_err(|e| WebError::Internal(e.to_string()))
}
