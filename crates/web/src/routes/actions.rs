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
use serde::Deserialize;

use crate::auth::{Bearer, Caller, Signed};
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
        // Days left to respond; days since the activity was entered and since its follow-up
        // date (negative before it).
        q.respond_by.map(|d| (d - as_of).num_days()).into(),
        q.entered_date.map(|d| (as_of - d).num_days()).into(),
        q.followup_date.map(|d| (as_of - d).num_days()).into(),
        Value::Text(state(q.respond_by, as_of).to_owned()),
        Value::Int(q.tagged),
        Value::Money(q.tagged_amount),
        text(&i.reason),
    ]
}

/// Whose actions to list: `user=ID` for a user the caller sees (a team member), `user=`
/// `unassigned` for the unassigned pool; the caller's own when left out.
#[derive(Debug, Default, Deserialize)]
pub struct Whose {
    user: Option<String>,
}

/// The user (or pool) whose queue the caller asked for, when the caller may see it.
async fn queue_of(app: &AppState, caller: &Caller, whose: &Whose) -> Result<Owner, WebError> {
    let seen = app.store.seen_users(caller.viewer()).await?;
    match whose.user.as_deref().map(str::trim) {
        None | Some("") => Ok(Owner::User(caller.user_id.clone())),
        Some("unassigned") if seen.sees(None) => Ok(Owner::Unassigned),
        Some(user) if user == caller.user_id || seen.sees(Some(user)) => {
            Ok(Owner::User(user.to_owned()))
        }
        // A user outside the caller's scope answers as one that does not exist.
        Some(_) => Err(WebError::NotFound),
    }
}

/// Whose queue is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    User(String),
    Unassigned,
}

impl Owner {
    fn queue(&self) -> Queue<'_> {
        match self {
            Owner::User(u) => Queue::User(u),
            Owner::Unassigned => Queue::Unassigned,
        }
    }
}

async fn api_list(
    State(app): State<AppState>,
    Bearer(caller): Bearer,
    Query(q): Query<ListQuery>,
    Query(whose): Query<Whose>,
) -> Result<Json<serde_json::Value>, WebError> {
    let listing = q.check(View::Action)?;
    let as_of = app.as_of();
    let owner = queue_of(&app, &caller, &whose).await?;
    let queue = app.store.work_queue(owner.queue(), false).await?;
    let rows: Vec<Vec<Value>> = queue.iter().map(|q| action_values(q, as_of)).collect();
    let page = listing.apply(rows, &[])?;
    Ok(Json(json_page(View::Action, &page)))
}

async fn page(
    State(app): State<AppState>,
    Signed(caller): Signed,
    Query(whose): Query<Whose>,
) -> Result<Html<String>, PageError> {
    let as_of = app.as_of();
    let owner = queue_of(&app, &caller, &whose).await?;
    let queue = app.store.work_queue(owner.queue(), false).await?;
    let (users, unassigned) = match &owner {
        Owner::User(u) => (vec![u.clone()], false),
        Owner::Unassigned => (Vec::new(), true),
    };
    let user_actions = app.store.user_actions(&users, unassigned, false).await?;
    // The team whose work the caller may open: the users it sees, and the pool.
    let seen = app.store.seen_users(caller.viewer()).await?;
    let mut team: Vec<(String, String)> = app
        .store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.active && a.role != "inquiry" && a.role != "admin")
        .filter(|a| a.user_id != caller.user_id && seen.sees(Some(&a.user_id)))
        .map(|a| (a.user_id, a.name))
        .collect();
    if seen.sees(None) {
        team.push(("unassigned".to_owned(), "Unassigned pool".to_owned()));
    }
    let showing = match &owner {
        Owner::User(u) if *u == caller.user_id => String::new(),
        Owner::User(u) => u.clone(),
        Owner::Unassigned => "unassigned".to_owned(),
    };
    render(&ActionsPage {
        nav: Nav::new(&caller, "actions"),
        as_of,
        issues: queue.iter().map(|q| IssueLine::new(q, as_of)).collect(),
        user_actions,
        counts_link: caller.role.works_accounts(),
        team,
        showing,
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
