//! One invoice: its figures, notes and disputes and the activities tagged to it; disputes
//! opened and closed; a customer's event log. As pages and as `/api/v1`.

use arrears_actions::desk::{self, DisputeInput};
use arrears_actions::{ActionsError, open_items_of, plans};
use arrears_domain::filter::View;
use arrears_domain::{Value, parse_date};
use arrears_store::{DisputeRecord, EventQuery, ReasonCodeRow, Scope};
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::communication::{actor, must_work, seen};
use crate::auth::{Bearer, Caller, Signed};
use crate::pages::{
    DisputeLine, HistoryLine, InvoicePage, Nav, Pair, PlanView, account_link, display, render,
    url_encode,
};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{company_id}/{customer_id}/invoices/{tran_id}",
            get(invoice_page),
        )
        .route(
            "/customers/{company_id}/{customer_id}/invoices/{tran_id}/notes",
            post(note_post),
        )
        .route(
            "/customers/{company_id}/{customer_id}/invoices/{tran_id}/disputes",
            post(dispute_post),
        )
        .route("/disputes/{dispute_id}/close", post(close_post))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/invoices/{tran_id}/notes",
            get(api_notes).post(api_add_note),
        )
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/disputes",
            get(api_disputes).post(api_open),
        )
        .route(
            "/api/v1/disputes/{dispute_id}",
            get(api_dispute).patch(api_close),
        )
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/history",
            get(api_history),
        )
}

pub fn dispute_line(d: DisputeRecord) -> DisputeLine {
    DisputeLine {
        amount: display(&Value::Money(d.amount)),
        record: d,
    }
}

async fn invoice(
    app: &AppState,
    caller: &Caller,
    company: &str,
    customer: &str,
    tran_id: &str,
    problem: Option<String>,
) -> Result<Html<String>, PageError> {
    seen(app, caller, company, customer).await?;
    let store = &app.store;
    let as_of = app.as_of();
    let items = store.items_of(company, customer).await?;
    let Some((item, _, currency)) = items.iter().find(|(_, t, _)| t == tran_id) else {
        return Err(WebError::NotFound.into());
    };
    let (facts, open) = open_items_of(store, company, customer, Some(caller.viewer()), as_of)
        .await?
        .ok_or(WebError::NotFound)?;
    let catalog = View::Invoice.catalog();
    let tran_slot = catalog.slot("tran_id").unwrap_or(0);
    let row = open
        .iter()
        .find(|r| matches!(&r[tran_slot], Value::Text(t) if t == tran_id));
    let facts_shown: Vec<Pair> = match row {
        Some(row) => catalog
            .names()
            .zip(row)
            .filter(|(n, v)| !n.starts_with("customer.") && !matches!(v, Value::None))
            .map(|(n, v)| Pair {
                name: n.to_owned(),
                value: display(v),
            })
            .collect(),
        // A paid invoice: its columns, and how its payments and communications went.
        None => {
            let stats = store
                .invoice_stats(Scope::customer(company, customer), as_of)
                .await?
                .remove(&(company.to_owned(), tran_id.to_owned()))
                .unwrap_or_default();
            let days = stats.days(item, as_of);
            let date = |d: Option<chrono::NaiveDate>| d.map_or(Value::None, Value::Date);
            let int = |d: Option<i64>| d.map_or(Value::None, Value::Int);
            [
                ("tran_type", Value::Text(item.tran_type.code().into())),
                ("tran_date", Value::Date(item.tran_date)),
                ("due_date", date(item.due_date)),
                ("currency", Value::Text(currency.clone())),
                ("amount", Value::Money(item.amount)),
                ("balance", Value::Money(item.balance)),
                ("closing_date", date(item.closing_date)),
                ("last_pmt_date", date(stats.last_pmt_date)),
                ("pmt_count", Value::Int(stats.pmt_count)),
                ("days_due_to_1st_com", int(days[0])),
                ("days_due_to_last_com", int(days[1])),
                ("days_1st_com_to_pay", int(days[2])),
                ("days_last_com_to_pay", int(days[3])),
            ]
            .into_iter()
            .filter(|(_, v)| !matches!(v, Value::None))
            .map(|(n, v)| Pair {
                name: n.to_owned(),
                value: display(&v),
            })
            .collect()
        }
    };
    let disputes_all = store.disputes_of(company, customer).await?;
    let activities = store.activities_of(company, customer).await?;
    let tagged: Vec<HistoryLine> = activities
        .iter()
        .filter(|a| a.tagged.iter().any(|t| t.tran_id == tran_id))
        .map(|a| HistoryLine::new(a, &activities, &disputes_all, as_of))
        .collect();
    let reasons = store
        .setup::<ReasonCodeRow>(Some(company))
        .await?
        .into_iter()
        .map(|r| {
            (
                r.reason_code,
                format!("{} (severity {})", r.description, r.severity),
            )
        })
        .collect();
    let mut plans = store.plans_of(company, customer, Some(tran_id)).await?;
    let plan = match plans.iter().position(|p| p.is_active) {
        Some(i) => {
            let record = plans.remove(i);
            let schedule = plans::schedule(store, &record, as_of).await?;
            Some(PlanView::new(record, schedule))
        }
        None => None,
    };
    render(&InvoicePage {
        nav: Nav::new(caller, "accounts"),
        company_id: company.to_owned(),
        customer_id: customer.to_owned(),
        name: facts.name.clone(),
        tran_id: tran_id.to_owned(),
        facts: facts_shown,
        open: item.is_open(),
        notes: store.invoice_notes(company, tran_id).await?,
        disputes: disputes_all
            .into_iter()
            .filter(|d| d.tran_id == tran_id)
            .map(dispute_line)
            .collect(),
        reasons,
        activities: tagged,
        works: caller.role.works_accounts(),
        plan,
        past_plans: plans,
        administers: caller.role.administers(),
        balance: format!("{} {currency}", display(&Value::Money(item.balance))),
        plan_rows: (1..=6).collect(),
        scores: super::communication::scores(app, company, customer).await?,
        problem,
        as_of,
    })
}

async fn invoice_page(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
) -> Result<Html<String>, PageError> {
    invoice(&app, &caller, &company, &customer, &tran_id, None).await
}

pub(crate) fn invoice_link(company: &str, customer: &str, tran_id: &str) -> String {
    format!(
        "{}/invoices/{}",
        account_link(company, customer),
        url_encode(tran_id)
    )
}

/// Back to the invoice, or its page with the problem (422) or the conflict (409).
pub(crate) async fn after(
    app: &AppState,
    caller: &Caller,
    (company, customer, tran_id): (&str, &str, &str),
    result: Result<(), ActionsError>,
) -> Result<Response, PageError> {
    let status = match result {
        Ok(()) => {
            return Ok(Redirect::to(&invoice_link(company, customer, tran_id)).into_response());
        }
        Err(ActionsError::Invalid(p)) => (StatusCode::UNPROCESSABLE_ENTITY, p),
        Err(ActionsError::Conflict(p)) => (StatusCode::CONFLICT, p),
        Err(e) => return Err(PageError(e.into())),
    };
    let page = invoice(app, caller, company, customer, tran_id, Some(status.1)).await?;
    Ok((status.0, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn note_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
    Form(f): Form<NoteForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let result = desk::add_invoice_note(
        &app.store,
        &company,
        &customer,
        &tran_id,
        &f.note,
        actor(&app, &caller),
    )
    .await
    .map(|_| ());
    after(&app, &caller, (&company, &customer, &tran_id), result).await
}

/// The dispute form: checkbox and dates as a browser sends them.
#[derive(Debug, Default, Deserialize)]
struct DisputeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    dispute_date: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    exclude_from_aging: Option<String>,
    #[serde(default)]
    note: String,
}

async fn dispute_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
    Form(f): Form<DisputeForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let result = match date_field("dispute_date", &f.dispute_date) {
        Err(e) => Err(e),
        Ok(dispute_date) => {
            let input = DisputeInput {
                amount: f.amount,
                dispute_date,
                reason_code: f.reason_code,
                exclude_from_aging: f.exclude_from_aging.is_some(),
                note: Some(f.note),
                ..DisputeInput::default()
            };
            desk::open_dispute(
                &app.store,
                &company,
                &customer,
                &tran_id,
                &input,
                actor(&app, &caller),
            )
            .await
            .map(|_| ())
        }
    };
    after(&app, &caller, (&company, &customer, &tran_id), result).await
}

fn date_field(name: &str, text: &str) -> Result<Option<chrono::NaiveDate>, ActionsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse_date(text)
        .map(Some)
        .map_err(|e| ActionsError::Invalid(format!("{name}: {e}")))
}

#[derive(Debug, Default, Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    closed_date: String,
}

async fn seen_dispute(
    app: &AppState,
    caller: &Caller,
    dispute_id: i64,
) -> Result<DisputeRecord, WebError> {
    let d = app
        .store
        .dispute(dispute_id)
        .await?
        .ok_or(WebError::NotFound)?;
    seen(app, caller, &d.company_id, &d.customer_id).await?;
    Ok(d)
}

async fn close_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(dispute_id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let d = seen_dispute(&app, &caller, dispute_id).await?;
    must_work(&caller)?;
    let version: i64 = f
        .version
        .trim()
        .parse()
        .map_err(|_| WebError::BadRequest(format!("version: not a number {:?}", f.version)))?;
    let result = match date_field("closed_date", &f.closed_date) {
        Err(e) => Err(e),
        Ok(date) => {
            desk::close_dispute(
                &app.store,
                dispute_id,
                version,
                &f.resolution,
                date,
                actor(&app, &caller),
            )
            .await
        }
    };
    after(
        &app,
        &caller,
        (&d.company_id, &d.customer_id, &d.tran_id),
        result,
    )
    .await
}

async fn api_notes(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let known = app
        .store
        .items_of(&company, &customer)
        .await?
        .iter()
        .any(|(_, t, _)| *t == tran_id);
    if !known {
        return Err(WebError::NotFound);
    }
    let notes = app.store.invoice_notes(&company, &tran_id).await?;
    Ok(Json(
        serde_json::json!({ "total": notes.len(), "items": notes }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    note: String,
}

async fn api_add_note(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
    body: Result<Json<NewNote>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let Json(new) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let id = desk::add_invoice_note(
        &app.store,
        &company,
        &customer,
        &tran_id,
        &new.note,
        actor(&app, &caller),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "note_id": id })),
    ))
}

async fn api_disputes(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let disputes = app.store.disputes_of(&company, &customer).await?;
    Ok(Json(
        serde_json::json!({ "total": disputes.len(), "items": disputes }),
    ))
}

/// A dispute to open, on one of the customer's invoices.
#[derive(Debug, Deserialize)]
struct NewDisputeBody {
    tran_id: String,
    #[serde(flatten)]
    input: serde_json::Map<String, serde_json::Value>,
}

async fn api_open(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
    body: Result<Json<NewDisputeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), WebError> {
    seen(&app, &caller, &company, &customer).await?;
    must_work(&caller)?;
    let Json(body) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let input: DisputeInput = serde_json::from_value(serde_json::Value::Object(body.input))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let (id, logged) = desk::open_dispute(
        &app.store,
        &company,
        &customer,
        &body.tran_id,
        &input,
        actor(&app, &caller),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "dispute_id": id,
            "issue_id": logged.map(|l| l.issue_id),
            "activity_id": logged.map(|l| l.activity_id),
        })),
    ))
}

async fn api_dispute(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(dispute_id): Path<i64>,
) -> Result<Json<DisputeRecord>, WebError> {
    Ok(Json(seen_dispute(&app, &caller, dispute_id).await?))
}

/// Closes a dispute: the version read, a resolution and its date (the business date when
/// left out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Close {
    version: i64,
    resolution: String,
    closed_date: Option<chrono::NaiveDate>,
}

async fn api_close(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(dispute_id): Path<i64>,
    body: Result<Json<Close>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<DisputeRecord>, WebError> {
    seen_dispute(&app, &caller, dispute_id).await?;
    must_work(&caller)?;
    let Json(close) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    desk::close_dispute(
        &app.store,
        dispute_id,
        close.version,
        &close.resolution,
        close.closed_date,
        actor(&app, &caller),
    )
    .await?;
    Ok(Json(seen_dispute(&app, &caller, dispute_id).await?))
}

async fn api_history(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let events = app
        .store
        .events(&EventQuery::customer(&company, &customer))
        .await?;
    Ok(Json(
        serde_json::json!({ "total": events.len(), "items": events }),
    ))
}
