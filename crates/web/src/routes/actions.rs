//! The Actions list: the caller's open issues by priority then respond-by date, as a page
//! and as `/api/v1/actions`.

use arrears_domain::Value;
use arrears_domain::filter::View;
use arrears_store::{Queue, QueueItem};
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::NaiveDate;

use crate::auth::{Bearer, Signed};
use crate::grid::{ListQuery, json_page};
use crate::pages::{ActionsPage, IssueLine, Nav, render};
use crate::{AppState, PageError, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(page))
        .route("/api/v1/actions", get(api_list))
}

/// When a task falls due, beside the business date.
pub fn state(respond_by: Option<NaiveDate>, as_of: NaiveDate) -> &'static str {
    match respond_by {
        Some(d) if d < as_of => "past due",
        Some(d) if d == as_of => "due today",
        _ => "not due",
    }
}

/// An issue as the values of the action view's fields.
pub fn action_values(q: &QueueItem, as_of: NaiveDate) -> Vec<Value> {
    let i = &q.issue;
    let text = |t: &Option<String>| t.clone().map_or(Value::None, Value::Text);
    let date = |d: Option<NaiveDate>| d.map_or(Value::None, Value::Date);
    vec![
        Value::Int(i.issue_id),
        Value::Text(i.company_id.clone()),
        Value::Text(i.customer_id.clone()),
        text(&q.customer_name),
        Value::Text(i.subject.clone()),
        Value::Text(i.action_code.clone()),
        Value::Int(i.priority),
        text(&i.credit_class),
        i.seq_no.into(),
        text(&i.assigned_user),
        text(&q.activity_type),
        Value::Date(i.created_date),
        date(q.start_date),
        date(q.respond_by),
        date(q.followup_date),
        q.respond_by.map(|d| (d - as_of).num_days()).into(),
        Value::Text(state(q.respond_by, as_of).to_owned()),
        Value::Int(q.tagged),
        Value::Money(q.tagged_amount),
        text(&i.reason),
    ]
}

async fn api_list(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, WebError> {
    let listing = q.check(View::Action)?;
    let as_of = app.as_of();
    let queue = app
        .store
        .work_queue(Queue::User(&caller.user_id), false)
        .await?;
    let rows: Vec<Vec<Value>> = queue.iter().map(|q| action_values(q, as_of)).collect();
    let page = listing.apply(rows, &[])?;
    Ok(Json(json_page(View::Action, &page)))
}

async fn page(
    State(app): State<AppState>,
    Signed(caller): Signed,
) -> Result<Html<String>, PageError> {
    let as_of = app.as_of();
    let queue = app
        .store
        .work_queue(Queue::User(&caller.user_id), false)
        .await?;
    let user_actions = app
        .store
        .user_actions(std::slice::from_ref(&caller.user_id), false, false)
        .await?;
    render(&ActionsPage {
        nav: Nav::new(&caller, "actions"),
        as_of,
        issues: queue.iter().map(|q| IssueLine::new(q, as_of)).collect(),
        user_actions,
        counts_link: caller.role.works_accounts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_not_due_due_today_or_past_due() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(state(Some(day(24)), day(25)), "past due");
        assert_eq!(state(Some(day(25)), day(25)), "due today");
        assert_eq!(state(Some(day(26)), day(25)), "not due");
        assert_eq!(state(None, day(25)), "not due");
    }

    #[test]
    fn an_action_row_has_a_value_for_every_field() {
        assert_eq!(
            arrears_domain::filter::ACTION_FIELDS.len(),
            View::Action.catalog().len()
        );
    }
}
