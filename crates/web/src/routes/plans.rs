//! Payment plans: an admin splits an invoice into instalments from its page, or cancels the
//! plan in force; everyone who sees the customer sees them. As pages and as `/api/v1`.

use arrears_actions::ActionsError;
use arrears_actions::plans::{self, InstalmentInput, InstalmentState, PlanInput};
use arrears_domain::parse_date;
use arrears_store::PlanRecord;
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::communication::{actor, seen};
use super::disputes::{after, invoice_link};
use super::promises::{VersionForm, version};
use crate::auth::{Bearer, Caller, Signed};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{company_id}/{customer_id}/invoices/{tran_id}/payment-plans",
            post(make_post),
        )
        .route("/payment-plans/{plan_id}/cancel", post(cancel_post))
        .route(
            "/api/v1/customers/{company_id}/{customer_id}/payment-plans",
            get(api_plans).post(api_make),
        )
        .route(
            "/api/v1/payment-plans/{plan_id}",
            get(api_plan).patch(api_cancel),
        )
}

/// A plan of a customer the caller sees.
async fn seen_plan(app: &AppState, caller: &Caller, plan_id: i64) -> Result<PlanRecord, WebError> {
    let p = app.store.plan(plan_id).await?.ok_or(WebError::NotFound)?;
    seen(app, caller, &p.company_id, &p.customer_id).await?;
    Ok(p)
}

/// The plan form's fields, as a browser sends them: `due_date` and `amount` once per row.
fn plan_input(fields: Vec<(String, String)>) -> Result<PlanInput, ActionsError> {
    let mut dates = Vec::new();
    let mut amounts = Vec::new();
    let mut note = None;
    for (key, value) in fields {
        match key.as_str() {
            "due_date" => dates.push(value),
            "amount" => amounts.push(value),
            "note" => note = Some(value),
            _ => {}
        }
    }
    let mut instalments = Vec::new();
    for (n, (date, amount)) in (1..).zip(dates.iter().zip(&amounts)) {
        let (date, amount) = (date.trim(), amount.trim());
        match (date.is_empty(), amount.is_empty()) {
            (true, true) => continue,
            (true, false) => {
                return Err(ActionsError::Invalid(format!(
                    "instalments[{n}].due_date: give the date the amount is due"
                )));
            }
            (false, true) => {
                return Err(ActionsError::Invalid(format!(
                    "instalments[{n}].amount: give the amount due on {date}"
                )));
            }
            (false, false) => {}
        }
        let due_date = parse_date(date)
            .map_err(|e| ActionsError::Invalid(format!("instalments[{n}].due_date: {e}")))?;
        instalments.push(InstalmentInput {
            due_date,
            amount: amount.to_owned(),
        });
    }
    Ok(PlanInput { instalments, note })
}

async fn make_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path((company, customer, tran_id)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    caller.check_csrf(csrf)?;
    seen(&app, &caller, &company, &customer).await?;
    caller.must_administer()?;
    let result = match plan_input(fields) {
        Err(e) => Err(e),
        Ok(input) => plans::make_plan(
            &app.store,
            &company,
            &customer,
            &tran_id,
            &input,
            actor(&app, &caller),
        )
        .await
        .map(|_| ()),
    };
    after(&app, &caller, (&company, &customer, &tran_id), result).await
}

async fn cancel_post(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Path(plan_id): Path<i64>,
    Form(f): Form<VersionForm>,
) -> Result<Response, PageError> {
    caller.check_csrf(&f.csrf)?;
    let p = seen_plan(&app, &caller, plan_id).await?;
    caller.must_administer()?;
    let result = plans::cancel_plan(
        &app.store,
        plan_id,
        version(&f.version)?,
        actor(&app, &caller),
    )
    .await;
    if result.is_ok() {
        let to = format!(
            "{}#payment-plan",
            invoice_link(&p.company_id, &p.customer_id, &p.tran_id)
        );
        return Ok(Redirect::to(&to).into_response());
    }
    after(
        &app,
        &caller,
        (&p.company_id, &p.customer_id, &p.tran_id),
        result,
    )
    .await
}

/// A plan with where its instalments stand on the business date (none once cancelled).
#[derive(Debug, Serialize)]
struct PlanBody {
    #[serde(flatten)]
    record: PlanRecord,
    schedule: Vec<InstalmentState>,
}

async fn with_schedule(app: &AppState, record: PlanRecord) -> Result<PlanBody, WebError> {
    let schedule = plans::schedule(&app.store, &record, app.as_of()).await?;
    Ok(PlanBody { record, schedule })
}

async fn api_plans(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    seen(&app, &caller, &company, &customer).await?;
    let mut schedules = plans::schedules(&app.store, &company, &customer, app.as_of()).await?;
    let items: Vec<PlanBody> = app
        .store
        .plans_of(&company, &customer, None)
        .await?
        .into_iter()
        .map(|record| PlanBody {
            schedule: schedules.remove(&record.plan_id).unwrap_or_default(),
            record,
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "total": items.len(), "items": items }),
    ))
}

/// A plan to make on one of the customer's invoices.
#[derive(Debug, Deserialize)]
struct NewPlanBody {
    tran_id: String,
    #[serde(flatten)]
    input: serde_json::Map<String, serde_json::Value>,
}

async fn api_make(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path((company, customer)): Path<(String, String)>,
    body: Result<Json<NewPlanBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<PlanBody>), WebError> {
    seen(&app, &caller, &company, &customer).await?;
    caller.must_administer()?;
    let Json(body) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let input: PlanInput = serde_json::from_value(serde_json::Value::Object(body.input))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let id = plans::make_plan(
        &app.store,
        &company,
        &customer,
        &body.tran_id,
        &input,
        actor(&app, &caller),
    )
    .await?;
    let record = seen_plan(&app, &caller, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(with_schedule(&app, record).await?),
    ))
}

async fn api_plan(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(plan_id): Path<i64>,
) -> Result<Json<PlanBody>, WebError> {
    let record = seen_plan(&app, &caller, plan_id).await?;
    Ok(Json(with_schedule(&app, record).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    version: i64,
    status: String,
}

async fn api_cancel(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Path(plan_id): Path<i64>,
    body: Result<Json<Cancel>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PlanBody>, WebError> {
    seen_plan(&app, &caller, plan_id).await?;
    caller.must_administer()?;
    let Json(c) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    if c.status != "cancelled" {
        return Err(WebError::Invalid(format!(
            "status: a payment plan can only be cancelled, not set to {:?}; \
             make a new plan for new terms",
            c.status
        )));
    }
    plans::cancel_plan(&app.store, plan_id, c.version, actor(&app, &caller)).await?;
    let record = seen_plan(&app, &caller, plan_id).await?;
    Ok(Json(with_schedule(&app, record).await?))
}
