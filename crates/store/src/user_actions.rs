//! User actions: the notifications Arrears raises for a user (a broken promise, a follow-up
//! past due) beside the customer actions of the rules; each raised once, closed by its user or,
//! for a follow-up, when the follow-up is done. Admins set each kind's description and priority.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;

use crate::tx::on_tx;
use crate::workflow::{Actor, Entity, NewEvent, Refused, json};
use crate::{Store, StoreError, Tx, on_pool};

/// One user action, with the description and priority it shows: its own, else its kind's.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct UserActionRecord {
    pub user_action_id: i64,
    pub kind: String,
    /// None: the company's unassigned pool.
    pub user_id: Option<String>,
    pub company_id: String,
    pub customer_id: String,
    pub customer_name: Option<String>,
    /// What it is about: `expected_payment:ID` or `activity:ID`.
    pub subject: String,
    pub detail: String,
    pub description: String,
    pub priority: i64,
    /// Set on this action by a user; none: its kind's.
    pub own_description: Option<String>,
    pub own_priority: Option<i64>,
    pub raised_on: NaiveDate,
    pub raised_at: DateTime<Utc>,
    pub is_open: bool,
    pub closed_on: Option<NaiveDate>,
    pub closed_by: Option<String>,
    pub version: i64,
}

impl Entity for UserActionRecord {
    const NAME: &'static str = "user_action";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.user_action_id)
    }
}

/// A kind of user action, as admins set it.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct UserActionType {
    pub kind: String,
    pub description: String,
    pub priority: i64,
}

/// A user action to raise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUserAction<'a> {
    pub kind: &'a str,
    pub company_id: &'a str,
    pub customer_id: &'a str,
    /// None: the customer's assigned user.
    pub user_id: Option<&'a str>,
    pub subject: String,
    pub detail: String,
}

/// A change to one user action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserActionEdit {
    /// `Some(None)` goes back to the kind's.
    pub description: Option<Option<String>>,
    pub priority: Option<Option<i64>>,
    pub close: bool,
}

/// One user's open work: customer actions by state, and user actions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkCount {
    pub user_id: String,
    pub name: String,
    pub open_issues: i64,
    pub open_activities: i64,
    pub past_due: i64,
    pub due_today: i64,
    pub user_actions: i64,
    pub broken_promises: i64,
    pub followups_past_due: i64,
}

const SELECT: &str = "SELECT u.user_action_id, u.kind, u.user_id, u.company_id, u.customer_id, \
     c.name AS customer_name, u.subject, u.detail, \
     COALESCE(u.description, t.description, u.kind) AS description, \
     COALESCE(u.priority, t.priority, 5) AS priority, u.description AS own_description, \
     u.priority AS own_priority, u.raised_on, u.raised_at, u.is_open, u.closed_on, u.closed_by, \
     u.version FROM user_actions u \
     LEFT JOIN user_action_types t ON t.kind = u.kind \
     LEFT JOIN customers c ON c.company_id = u.company_id AND c.customer_id = u.customer_id";

const FOLLOWUP: &str = "followup_past_due";

impl Tx {
    async fn user_action(&mut self, id: i64) -> Result<Option<UserActionRecord>, StoreError> {
        let sql = format!("{SELECT} WHERE u.user_action_id = $1");
        Ok(on_tx!(self, tx => {
            sqlx::query_as(&sql).bind(id).fetch_optional(&mut **tx).await?
        }))
    }

    /// Raises a user action unless one was raised for its subject already; whether it did.
    pub(crate) async fn raise(
        &mut self,
        a: &NewUserAction<'_>,
        actor: Actor<'_>,
    ) -> Result<bool, StoreError> {
        const EXISTS: &str = "SELECT COUNT(*) FROM user_actions WHERE kind = $1 AND subject = $2";
        const ASSIGNED: &str =
            "SELECT assigned_user FROM customers WHERE company_id = $1 AND customer_id = $2";
        const INSERT: &str = "INSERT INTO user_actions (kind, user_id, company_id, customer_id, \
             subject, detail, raised_on, raised_at, is_open, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) RETURNING user_action_id";
        let id: Option<i64> = on_tx!(self, tx => {
            let exists: i64 = sqlx::query_scalar(EXISTS)
                .bind(a.kind)
                .bind(&a.subject)
                .fetch_one(&mut **tx)
                .await?;
            if exists > 0 {
                None
            } else {
                let user: Option<String> = match a.user_id {
                    Some(u) => Some(u.to_owned()),
                    None => sqlx::query_scalar(ASSIGNED)
                        .bind(a.company_id)
                        .bind(a.customer_id)
                        .fetch_optional(&mut **tx)
                        .await?
                        .flatten(),
                };
                Some(
                    sqlx::query_scalar(INSERT)
                        .bind(a.kind)
                        .bind(user)
                        .bind(a.company_id)
                        .bind(a.customer_id)
                        .bind(&a.subject)
                        .bind(&a.detail)
                        .bind(actor.business_date)
                        .bind(actor.at)
                        .bind(true)
                        .fetch_one(&mut **tx)
                        .await?,
                )
            }
        });
        let Some(id) = id else {
            return Ok(false);
        };
        let after = self.user_action(id).await?;
        self.log_change(actor, "raise", None, after.as_ref())
            .await?;
        Ok(true)
    }

    async fn close_user_action(
        &mut self,
        before: &UserActionRecord,
        actor: Actor<'_>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE user_actions SET is_open = $1, closed_on = $2, closed_by = $3, \
             version = version + 1 WHERE user_action_id = $4";
        on_tx!(self, tx => {
            sqlx::query(SQL)
                .bind(false)
                .bind(actor.business_date)
                .bind(actor.user_id)
                .bind(before.user_action_id)
                .execute(&mut **tx)
                .await?;
        });
        let after = self.user_action(before.user_action_id).await?;
        self.log_change(actor, "close", Some(before), after.as_ref())
            .await
    }

    /// Raises a Follow-up Past Due action for each open follow-up whose respond-by date has
    /// passed, and closes those whose follow-up is no longer open: how many of each.
    pub(crate) async fn followups_past_due(
        &mut self,
        actor: Actor<'_>,
    ) -> Result<(u64, u64), StoreError> {
        const LATE: &str = "SELECT activity_id, company_id, customer_id, assigned_user, \
             respond_by, COALESCE(description, activity_type) FROM activities \
             WHERE is_open = $1 AND followup_of IS NOT NULL AND respond_by < $2 \
             ORDER BY activity_id";
        const OPEN_ACTIONS: &str = "SELECT user_action_id, subject FROM user_actions \
             WHERE kind = $1 AND is_open = $2 ORDER BY user_action_id";
        const OPEN_ACTIVITY: &str =
            "SELECT COUNT(*) FROM activities WHERE activity_id = $1 AND is_open = $2";
        type Late = (i64, String, String, Option<String>, NaiveDate, String);
        let (late, open): (Vec<Late>, Vec<(i64, String)>) = on_tx!(self, tx => {
            let late = sqlx::query_as(LATE)
                .bind(true)
                .bind(actor.business_date)
                .fetch_all(&mut **tx)
                .await?;
            let open = sqlx::query_as(OPEN_ACTIONS)
                .bind(FOLLOWUP)
                .bind(true)
                .fetch_all(&mut **tx)
                .await?;
            (late, open)
        });
        let mut raised = 0;
        for (id, company, customer, user, respond_by, what) in late {
            let action = NewUserAction {
                kind: FOLLOWUP,
                company_id: &company,
                customer_id: &customer,
                user_id: user.as_deref(),
                subject: format!("activity:{id}"),
                detail: format!("{what}: to be done by {respond_by}"),
            };
            // A follow-up for no one goes to the customer's assigned user.
            raised += u64::from(self.raise(&action, actor).await?);
        }
        let mut closed = 0;
        for (action_id, subject) in open {
            let Some(activity) = subject
                .strip_prefix("activity:")
                .and_then(|id| id.parse::<i64>().ok())
            else {
                continue;
            };
            let still_open: i64 = on_tx!(self, tx => {
                sqlx::query_scalar(OPEN_ACTIVITY)
                    .bind(activity)
                    .bind(true)
                    .fetch_one(&mut **tx)
                    .await?
            });
            if still_open == 0
                && let Some(before) = self.user_action(action_id).await?
            {
                self.close_user_action(&before, actor).await?;
                closed += 1;
            }
        }
        Ok((raised, closed))
    }
}

impl Store {
    /// One user action.
    pub async fn user_action(&self, id: i64) -> Result<Option<UserActionRecord>, StoreError> {
        let sql = format!("{SELECT} WHERE u.user_action_id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// The user actions of the given users (and of the unassigned pool when asked), open ones
    /// only unless `all`, by priority then the day they were raised.
    pub async fn user_actions(
        &self,
        users: &[String],
        unassigned: bool,
        all: bool,
    ) -> Result<Vec<UserActionRecord>, StoreError> {
        let sql = format!(
            "{SELECT} WHERE (u.is_open = $1 OR $2) ORDER BY u.is_open DESC, \
             COALESCE(u.priority, t.priority, 5), u.raised_on, u.user_action_id"
        );
        let rows: Vec<UserActionRecord> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(true).bind(all).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .filter(|r| match &r.user_id {
                Some(u) => users.iter().any(|x| x == u),
                None => unassigned,
            })
            .collect())
    }

    /// A customer's user actions, newest first.
    pub async fn user_actions_of(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<UserActionRecord>, StoreError> {
        let sql = format!(
            "{SELECT} WHERE u.company_id = $1 AND u.customer_id = $2 ORDER BY u.user_action_id DESC"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(company).bind(customer).fetch_all(pool).await?
        }))
    }

    /// Changes a user action still at `version`: its description, its priority, or closes it.
    pub async fn edit_user_action(
        &self,
        id: i64,
        version: i64,
        edit: &UserActionEdit,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        const SQL: &str = "UPDATE user_actions SET description = $1, priority = $2, \
             version = version + 1 WHERE user_action_id = $3 AND version = $4";
        let mut tx = self.begin().await?;
        let Some(before) = tx.user_action(id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        if before.version != version {
            return Ok(Err(Refused::Conflict(before.version)));
        }
        if !before.is_open {
            return Ok(Err(Refused::Closed));
        }
        let description = edit
            .description
            .clone()
            .unwrap_or_else(|| before.own_description.clone());
        let priority = edit.priority.unwrap_or(before.own_priority);
        if description != before.own_description || priority != before.own_priority {
            let changed = on_tx!(&mut tx, t => {
                sqlx::query(SQL)
                    .bind(&description)
                    .bind(priority)
                    .bind(id)
                    .bind(version)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            });
            if changed != 1 {
                return Ok(Err(Refused::Conflict(version + 1)));
            }
            let after = tx.user_action(id).await?;
            tx.log_change(actor, "edit", Some(&before), after.as_ref())
                .await?;
        }
        if edit.close {
            let now = tx.user_action(id).await?.unwrap_or(before);
            tx.close_user_action(&now, actor).await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The kinds of user action with their descriptions and priorities.
    pub async fn user_action_types(&self) -> Result<Vec<UserActionType>, StoreError> {
        const SQL: &str = "SELECT kind, description, priority FROM user_action_types ORDER BY kind";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).fetch_all(pool).await?
        }))
    }

    /// Sets a kind's description and priority; false when there is no such kind.
    pub async fn set_user_action_type(
        &self,
        t: &UserActionType,
        actor: Actor<'_>,
    ) -> Result<bool, StoreError> {
        const SELECT_ONE: &str =
            "SELECT kind, description, priority FROM user_action_types WHERE kind = $1";
        const SQL: &str =
            "UPDATE user_action_types SET description = $1, priority = $2 WHERE kind = $3";
        let mut tx = self.begin().await?;
        let before: Option<UserActionType> = on_tx!(&mut tx, x => {
            sqlx::query_as(SELECT_ONE).bind(&t.kind).fetch_optional(&mut **x).await?
        });
        let Some(before) = before else {
            return Ok(false);
        };
        on_tx!(&mut tx, x => {
            sqlx::query(SQL)
                .bind(&t.description)
                .bind(t.priority)
                .bind(&t.kind)
                .execute(&mut **x)
                .await?;
        });
        let event = NewEvent {
            company_id: None,
            customer_id: None,
            entity: "user_action_type",
            entity_id: t.kind.clone(),
            action: "edit",
            before: json(&before),
            after: json(t),
        };
        tx.log_event(actor, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Each user's open work on `as_of`: one grouped count per table.
    pub async fn work_counts(&self, as_of: NaiveDate) -> Result<Vec<WorkCount>, StoreError> {
        const USERS: &str = "SELECT user_id, name FROM users ORDER BY user_id";
        const ISSUES: &str = "SELECT assigned_user, COUNT(*) FROM issues \
             WHERE is_open = $1 AND assigned_user IS NOT NULL GROUP BY assigned_user";
        const ACTIVITIES: &str = "SELECT assigned_user, COUNT(*), \
             SUM(CASE WHEN respond_by < $2 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN respond_by = $2 THEN 1 ELSE 0 END) FROM activities \
             WHERE is_open = $1 AND assigned_user IS NOT NULL GROUP BY assigned_user";
        const ACTIONS: &str = "SELECT user_id, kind, COUNT(*) FROM user_actions \
             WHERE is_open = $1 AND user_id IS NOT NULL GROUP BY user_id, kind";
        type Read = (
            Vec<(String, String)>,
            Vec<(String, i64)>,
            Vec<(String, i64, i64, i64)>,
            Vec<(String, String, i64)>,
        );
        let (users, issues, activities, actions): Read = on_pool!(self, pool => {
            let users = sqlx::query_as(USERS).fetch_all(pool).await?;
            let issues = sqlx::query_as(ISSUES).bind(true).fetch_all(pool).await?;
            let activities = sqlx::query_as(ACTIVITIES).bind(true).bind(as_of).fetch_all(pool).await?;
            let actions = sqlx::query_as(ACTIONS).bind(true).fetch_all(pool).await?;
            (users, issues, activities, actions)
        });
        let mut counts: Vec<WorkCount> = users
            .into_iter()
            .map(|(user_id, name)| WorkCount {
                user_id,
                name,
                ..WorkCount::default()
            })
            .collect();
        fn at<'a>(counts: &'a mut [WorkCount], user: &str) -> Option<&'a mut WorkCount> {
            counts.iter_mut().find(|c| c.user_id == user)
        }
        for (user, n) in issues {
            if let Some(c) = at(&mut counts, &user) {
                c.open_issues = n;
            }
        }
        for (user, n, late, today) in activities {
            if let Some(c) = at(&mut counts, &user) {
                c.open_activities = n;
                c.past_due = late;
                c.due_today = today;
            }
        }
        for (user, kind, n) in actions {
            if let Some(c) = at(&mut counts, &user) {
                c.user_actions += n;
                match kind.as_str() {
                    "broken_promise" => c.broken_promises += n,
                    FOLLOWUP => c.followups_past_due += n,
                    _ => {}
                }
            }
        }
        Ok(counts)
    }
}
