//! The collector's workflow as stored: communications logged on issues, follow-ups, edits that
//! conflict instead of overwriting, notes on single invoices, and the event log every change
//! appends to in its own transaction.

use arrears_domain::Money;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;

use crate::tx::on_tx;
use crate::work::ISSUE_COLUMNS;
use crate::{IssueRecord, Store, StoreError, Tx, on_pool};

/// Who makes a change, and when: the clock and the business date.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub at: DateTime<Utc>,
    pub business_date: NaiveDate,
}

/// One activity, as stored.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ActivityRecord {
    pub activity_id: i64,
    pub issue_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub activity_type: String,
    pub action_code: Option<String>,
    pub description: Option<String>,
    pub assigned_user: Option<String>,
    pub is_open: bool,
    pub customer_contact: bool,
    pub start_date: NaiveDate,
    pub respond_by: NaiveDate,
    pub followup_date: Option<NaiveDate>,
    pub followup_user: Option<String>,
    pub followup_desc: Option<String>,
    pub followup_respond_by: Option<NaiveDate>,
    pub followup_of: Option<i64>,
    pub created_date: NaiveDate,
    pub created_by: String,
    pub completed_date: Option<NaiveDate>,
    pub completed_by: Option<String>,
    pub note: Option<String>,
    /// Phone calls: `spoke` or `no_contact`.
    pub call_result: Option<String>,
    pub version: i64,
}

pub(crate) const ACTIVITY_COLUMNS: &str = "activity_id, issue_id, company_id, customer_id, \
     activity_type, action_code, description, assigned_user, is_open, customer_contact, \
     start_date, respond_by, followup_date, followup_user, followup_desc, followup_respond_by, \
     followup_of, created_date, created_by, completed_date, completed_by, note, call_result, version";

/// An activity with the invoices tagged to it and their amounts when tagged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    #[serde(flatten)]
    pub record: ActivityRecord,
    pub tagged: Vec<Tag>,
}

/// An invoice tagged to an activity, with its open balance (home currency) when tagged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub tran_id: String,
    pub amount: Money,
}

/// A follow-up: when, for whom, what, and by when it must be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub date: NaiveDate,
    pub user: Option<String>,
    pub description: Option<String>,
    pub respond_by: NaiveDate,
}

/// The issue a communication opens when it is not logged on an open one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueHead {
    pub subject: String,
    pub action_code: String,
    pub priority: i64,
    pub assigned_user: Option<String>,
}

/// What a communication says: the fields the Communication screen edits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Said {
    pub description: Option<String>,
    pub note: Option<String>,
    pub call_result: Option<String>,
    pub assigned_user: Option<String>,
    pub followup: Option<FollowUp>,
    pub tagged: Vec<(String, Money)>,
    /// Mark the activity complete.
    pub complete: bool,
    /// Resolve the issue, with this resolution.
    pub resolve: Option<String>,
}

/// A communication logged by hand: a new activity on an open issue, or on a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCommunication {
    pub company_id: String,
    pub customer_id: String,
    /// The open issue it belongs to; a new issue (`head`) when none.
    pub issue_id: Option<i64>,
    pub head: IssueHead,
    pub activity_type: String,
    pub action_code: Option<String>,
    pub customer_contact: bool,
    pub start_date: NaiveDate,
    pub respond_by: NaiveDate,
    pub said: Said,
    /// An expected payment or promise to pay recorded with it.
    pub expected: Option<crate::NewExpected>,
}

/// What a change made: the issue, the activity, and the follow-up it scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    pub issue_id: i64,
    pub activity_id: i64,
    pub followup_id: Option<i64>,
    pub expected_id: Option<i64>,
}

/// Why a change to an activity or issue was not made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// Someone changed it since it was read: its version now.
    Conflict(i64),
    /// The issue is resolved, or the activity complete.
    Closed,
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct Event {
    pub event_id: i64,
    pub at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub user_id: String,
    pub company_id: Option<String>,
    pub customer_id: Option<String>,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

const EVENT_COLUMNS: &str = "event_id, at, business_date, user_id, company_id, customer_id, \
     entity, entity_id, action, before, after";

/// Which events to read: each part that is set narrows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventQuery<'a> {
    pub company: Option<&'a str>,
    pub customer: Option<&'a str>,
    /// The kind of record: `issue`, `rule`, `setting`…
    pub entity: Option<&'a str>,
    /// Business dates, both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only events logged after this one.
    pub after: Option<i64>,
}

impl<'a> EventQuery<'a> {
    /// One customer's events.
    pub fn customer(company: &'a str, customer: &'a str) -> EventQuery<'a> {
        EventQuery {
            company: Some(company),
            customer: Some(customer),
            ..EventQuery::default()
        }
    }
}

const EVENT_WHERE: &str = "($1 IS NULL OR company_id = $1) AND ($2 IS NULL OR customer_id = $2) \
     AND ($3 IS NULL OR entity = $3) AND ($4 IS NULL OR business_date >= $4) \
     AND ($5 IS NULL OR business_date <= $5) AND ($6 IS NULL OR event_id > $6)";

/// A change to append to the log: what, and the record before and after as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent<'a> {
    pub company_id: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    pub entity: &'a str,
    pub entity_id: String,
    pub action: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A record as the event log keeps it.
pub fn json(record: &impl Serialize) -> Option<String> {
    serde_json::to_string(record).ok()
}

/// A record whose changes the event log keeps: its kind, and its customer and id.
pub(crate) trait Entity: Serialize {
    const NAME: &'static str;
    fn key(&self) -> (&str, &str, i64);
}

impl Entity for IssueRecord {
    const NAME: &'static str = "issue";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.issue_id)
    }
}

impl Entity for Activity {
    const NAME: &'static str = "activity";
    fn key(&self) -> (&str, &str, i64) {
        let r = &self.record;
        (&r.company_id, &r.customer_id, r.activity_id)
    }
}

impl Entity for InvoiceNote {
    const NAME: &'static str = "invoice_note";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.note_id)
    }
}

impl Tx {
    /// Appends one event.
    pub async fn log_event(
        &mut self,
        actor: Actor<'_>,
        e: &NewEvent<'_>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO events (at, business_date, user_id, company_id, customer_id, \
             entity, entity_id, action, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_tx!(self, tx => {
            sqlx::query(SQL)
                .bind(actor.at)
                .bind(actor.business_date)
                .bind(actor.user_id)
                .bind(e.company_id)
                .bind(e.customer_id)
                .bind(e.entity)
                .bind(&e.entity_id)
                .bind(e.action)
                .bind(&e.before)
                .bind(&e.after)
                .execute(&mut **tx)
                .await?;
        });
        Ok(())
    }

    async fn issue(&mut self, issue_id: i64) -> Result<Option<IssueRecord>, StoreError> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE issue_id = $1");
        Ok(on_tx!(self, tx => {
            sqlx::query_as(&sql).bind(issue_id).fetch_optional(&mut **tx).await?
        }))
    }

    async fn activity(&mut self, activity_id: i64) -> Result<Option<Activity>, StoreError> {
        let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE activity_id = $1");
        const TAGS: &str =
            "SELECT tran_id, amount FROM activity_invoices WHERE activity_id = $1 ORDER BY tran_id";
        Ok(on_tx!(self, tx => {
            let record: Option<ActivityRecord> =
                sqlx::query_as(&sql).bind(activity_id).fetch_optional(&mut **tx).await?;
            match record {
                None => None,
                Some(record) => {
                    let tags: Vec<(String, i64)> =
                        sqlx::query_as(TAGS).bind(activity_id).fetch_all(&mut **tx).await?;
                    Some(Activity { record, tagged: tags_of(tags) })
                }
            }
        }))
    }

    async fn insert_issue(
        &mut self,
        c: &NewCommunication,
        actor: Actor<'_>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO issues (company_id, customer_id, subject, action_code, \
             priority, assigned_user, is_open, created_date, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING issue_id";
        Ok(on_tx!(self, tx => {
            sqlx::query_scalar(SQL)
                .bind(&c.company_id)
                .bind(&c.customer_id)
                .bind(&c.head.subject)
                .bind(&c.head.action_code)
                .bind(c.head.priority)
                .bind(&c.head.assigned_user)
                .bind(true)
                .bind(actor.business_date)
                .bind(actor.at)
                .bind(actor.user_id)
                .fetch_one(&mut **tx)
                .await?
        }))
    }

    async fn insert_activity(&mut self, a: &ActivityRecord) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO activities (issue_id, company_id, customer_id, activity_type, \
             action_code, description, assigned_user, is_open, customer_contact, start_date, \
             respond_by, followup_date, followup_user, followup_desc, followup_respond_by, \
             followup_of, created_date, created_by, completed_date, completed_by, note, \
             call_result, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1) RETURNING activity_id";
        Ok(on_tx!(self, tx => {
            sqlx::query_scalar(SQL)
                .bind(a.issue_id)
                .bind(&a.company_id)
                .bind(&a.customer_id)
                .bind(&a.activity_type)
                .bind(&a.action_code)
                .bind(&a.description)
                .bind(&a.assigned_user)
                .bind(a.is_open)
                .bind(a.customer_contact)
                .bind(a.start_date)
                .bind(a.respond_by)
                .bind(a.followup_date)
                .bind(&a.followup_user)
                .bind(&a.followup_desc)
                .bind(a.followup_respond_by)
                .bind(a.followup_of)
                .bind(a.created_date)
                .bind(&a.created_by)
                .bind(a.completed_date)
                .bind(&a.completed_by)
                .bind(&a.note)
                .bind(&a.call_result)
                .fetch_one(&mut **tx)
                .await?
        }))
    }

    /// Replaces an activity's tagged invoices.
    async fn set_tags(
        &mut self,
        activity_id: i64,
        company: &str,
        tagged: &[(String, Money)],
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM activity_invoices WHERE activity_id = $1";
        const INSERT: &str = "INSERT INTO activity_invoices (activity_id, company_id, tran_id, amount) \
             VALUES ($1, $2, $3, $4)";
        on_tx!(self, tx => {
            sqlx::query(DELETE).bind(activity_id).execute(&mut **tx).await?;
            for (tran, amount) in tagged {
                sqlx::query(INSERT)
                    .bind(activity_id)
                    .bind(company)
                    .bind(tran)
                    .bind(amount.raw())
                    .execute(&mut **tx)
                    .await?;
            }
        });
        Ok(())
    }

    /// Writes an activity's edited fields when its version is still `version`.
    async fn update_activity(
        &mut self,
        a: &ActivityRecord,
        version: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE activities SET description = $1, note = $2, call_result = $3, \
             assigned_user = $4, followup_date = $5, followup_user = $6, followup_desc = $7, \
             followup_respond_by = $8, is_open = $9, completed_date = $10, completed_by = $11, \
             version = version + 1 WHERE activity_id = $12 AND version = $13";
        let done = on_tx!(self, tx => {
            sqlx::query(SQL)
                .bind(&a.description)
                .bind(&a.note)
                .bind(&a.call_result)
                .bind(&a.assigned_user)
                .bind(a.followup_date)
                .bind(&a.followup_user)
                .bind(&a.followup_desc)
                .bind(a.followup_respond_by)
                .bind(a.is_open)
                .bind(a.completed_date)
                .bind(&a.completed_by)
                .bind(a.activity_id)
                .bind(version)
                .execute(&mut **tx)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Resolves an issue when it is still open.
    pub(crate) async fn resolve_if_open(
        &mut self,
        issue_id: i64,
        resolution: &str,
        actor: Actor<'_>,
    ) -> Result<(), StoreError> {
        match self.issue(issue_id).await? {
            Some(issue) if issue.is_open => self.resolve(&issue, resolution, actor).await,
            _ => Ok(()),
        }
    }

    /// Closes an issue and completes its open activities, logging each.
    async fn resolve(
        &mut self,
        issue: &IssueRecord,
        resolution: &str,
        actor: Actor<'_>,
    ) -> Result<(), StoreError> {
        const ISSUE: &str = "UPDATE issues SET is_open = $1, closed_date = $2, closed_by = $3, \
             close_reason = $4, version = version + 1 WHERE issue_id = $5";
        const OPEN: &str = "SELECT activity_id FROM activities WHERE issue_id = $1 AND is_open = $2 ORDER BY activity_id";
        const COMPLETE: &str = "UPDATE activities SET is_open = $1, completed_date = $2, \
             completed_by = $3, version = version + 1 WHERE activity_id = $4";
        let open: Vec<i64> = on_tx!(self, tx => {
            sqlx::query(ISSUE)
                .bind(false)
                .bind(actor.business_date)
                .bind(actor.user_id)
                .bind(resolution)
                .bind(issue.issue_id)
                .execute(&mut **tx)
                .await?;
            sqlx::query_scalar(OPEN).bind(issue.issue_id).bind(true).fetch_all(&mut **tx).await?
        });
        for id in open {
            let before = self.activity(id).await?;
            on_tx!(self, tx => {
                sqlx::query(COMPLETE)
                    .bind(false)
                    .bind(actor.business_date)
                    .bind(actor.user_id)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            });
            let after = self.activity(id).await?;
            self.log_change(actor, "complete", before.as_ref(), after.as_ref())
                .await?;
        }
        let after = self.issue(issue.issue_id).await?;
        self.log_change(actor, "resolve", Some(issue), after.as_ref())
            .await
    }

    /// Appends the change of one record: the record before and after, as JSON.
    pub(crate) async fn log_change<T: Entity>(
        &mut self,
        actor: Actor<'_>,
        action: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<(), StoreError> {
        let Some(any) = after.or(before) else {
            return Ok(());
        };
        let (company, customer, id) = any.key();
        let event = NewEvent {
            company_id: Some(company),
            customer_id: Some(customer),
            entity: T::NAME,
            entity_id: id.to_string(),
            action,
            before: before.and_then(json),
            after: after.and_then(json),
        };
        self.log_event(actor, &event).await
    }

    /// Logs a communication: a new issue when it is not on an open one, its activity and tags,
    /// the follow-up a completed activity asks for, and the issue resolved when asked; all in
    /// one transaction with its events.
    pub(crate) async fn communicate(
        &mut self,
        c: &NewCommunication,
        actor: Actor<'_>,
    ) -> Result<Result<Logged, Refused>, StoreError> {
        let tx = self;
        let issue = match c.issue_id {
            Some(id) => match tx.issue(id).await? {
                None => return Ok(Err(Refused::NotFound)),
                Some(i) if i.company_id != c.company_id || i.customer_id != c.customer_id => {
                    return Ok(Err(Refused::NotFound));
                }
                Some(i) if !i.is_open => return Ok(Err(Refused::Closed)),
                Some(i) => i,
            },
            None => {
                let id = tx.insert_issue(c, actor).await?;
                let issue = tx
                    .issue(id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("issue {id} vanished")))?;
                tx.log_change(actor, "create", None, Some(&issue)).await?;
                issue
            }
        };
        let mut record = ActivityRecord {
            activity_id: 0,
            issue_id: issue.issue_id,
            company_id: c.company_id.clone(),
            customer_id: c.customer_id.clone(),
            activity_type: c.activity_type.clone(),
            action_code: c.action_code.clone(),
            description: None,
            assigned_user: issue.assigned_user.clone(),
            is_open: true,
            customer_contact: c.customer_contact,
            start_date: c.start_date,
            respond_by: c.respond_by,
            followup_date: None,
            followup_user: None,
            followup_desc: None,
            followup_respond_by: None,
            followup_of: None,
            created_date: actor.business_date,
            created_by: actor.user_id.to_owned(),
            completed_date: None,
            completed_by: None,
            note: None,
            call_result: None,
            version: 1,
        };
        apply_said(&mut record, &c.said, actor);
        let activity_id = tx.insert_activity(&record).await?;
        record.activity_id = activity_id;
        tx.set_tags(activity_id, &c.company_id, &c.said.tagged)
            .await?;
        let after = tx.activity(activity_id).await?;
        tx.log_change(actor, "create", None, after.as_ref()).await?;
        let expected_id = match &c.expected {
            Some(e) => {
                let at = (
                    c.company_id.as_str(),
                    c.customer_id.as_str(),
                    activity_id,
                    issue.issue_id,
                );
                Some(tx.expect_payment(e, at, actor).await?)
            }
            None => None,
        };
        let followup_id = match (&c.said.resolve, record.is_open) {
            (Some(resolution), _) => {
                tx.resolve(&issue, resolution, actor).await?;
                None
            }
            (None, false) => tx.schedule_followup(&record, actor).await?,
            (None, true) => None,
        };
        Ok(Ok(Logged {
            issue_id: issue.issue_id,
            activity_id,
            followup_id,
            expected_id,
        }))
    }

    /// Schedules the follow-up a completed activity asked for, once.
    async fn schedule_followup(
        &mut self,
        of: &ActivityRecord,
        actor: Actor<'_>,
    ) -> Result<Option<i64>, StoreError> {
        const EXISTS: &str = "SELECT COUNT(*) FROM activities WHERE followup_of = $1";
        let Some(date) = of.followup_date else {
            return Ok(None);
        };
        let existing: i64 = on_tx!(self, tx => {
            sqlx::query_scalar(EXISTS).bind(of.activity_id).fetch_one(&mut **tx).await?
        });
        if existing > 0 {
            return Ok(None);
        }
        let next = ActivityRecord {
            activity_id: 0,
            issue_id: of.issue_id,
            company_id: of.company_id.clone(),
            customer_id: of.customer_id.clone(),
            activity_type: of.activity_type.clone(),
            action_code: of.action_code.clone(),
            description: of.followup_desc.clone().or_else(|| of.description.clone()),
            assigned_user: of
                .followup_user
                .clone()
                .or_else(|| of.assigned_user.clone()),
            is_open: true,
            customer_contact: of.customer_contact,
            start_date: date,
            respond_by: of.followup_respond_by.unwrap_or(date),
            followup_date: None,
            followup_user: None,
            followup_desc: None,
            followup_respond_by: None,
            followup_of: Some(of.activity_id),
            created_date: actor.business_date,
            created_by: actor.user_id.to_owned(),
            completed_date: None,
            completed_by: None,
            note: None,
            call_result: None,
            version: 1,
        };
        let id = self.insert_activity(&next).await?;
        let after = self.activity(id).await?;
        self.log_change(actor, "follow-up", None, after.as_ref())
            .await?;
        Ok(Some(id))
    }
}

fn tags_of(rows: Vec<(String, i64)>) -> Vec<Tag> {
    rows.into_iter()
        .map(|(tran_id, amount)| Tag {
            tran_id,
            amount: Money::from_raw(amount),
        })
        .collect()
}

/// Sets what was said on an activity record.
fn apply_said(a: &mut ActivityRecord, said: &Said, actor: Actor<'_>) {
    a.description.clone_from(&said.description);
    a.note.clone_from(&said.note);
    a.call_result.clone_from(&said.call_result);
    if said.assigned_user.is_some() {
        a.assigned_user.clone_from(&said.assigned_user);
    }
    a.followup_date = said.followup.as_ref().map(|f| f.date);
    a.followup_user = said.followup.as_ref().and_then(|f| f.user.clone());
    a.followup_desc = said.followup.as_ref().and_then(|f| f.description.clone());
    a.followup_respond_by = said.followup.as_ref().map(|f| f.respond_by);
    if said.complete && a.is_open {
        a.is_open = false;
        a.completed_date = Some(actor.business_date);
        a.completed_by = Some(actor.user_id.to_owned());
    }
}

impl Store {
    /// One issue.
    pub async fn issue(&self, issue_id: i64) -> Result<Option<IssueRecord>, StoreError> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE issue_id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(issue_id).fetch_optional(pool).await?
        }))
    }

    /// One activity with its tagged invoices.
    pub async fn activity(&self, activity_id: i64) -> Result<Option<Activity>, StoreError> {
        let mut tx = self.begin().await?;
        let found = tx.activity(activity_id).await?;
        tx.rollback().await?;
        Ok(found)
    }

    /// A customer's activities, newest first, with their tagged invoices.
    pub async fn activities_of(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<Activity>, StoreError> {
        let sql = format!(
            "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE company_id = $1 AND customer_id = $2 \
             ORDER BY start_date DESC, activity_id DESC"
        );
        const TAGS: &str = "SELECT t.activity_id, t.tran_id, t.amount FROM activity_invoices t \
             JOIN activities a ON a.activity_id = t.activity_id \
             WHERE a.company_id = $1 AND a.customer_id = $2 ORDER BY t.activity_id, t.tran_id";
        let (records, tags): (Vec<ActivityRecord>, Vec<(i64, String, i64)>) = on_pool!(self, pool => {
            let records = sqlx::query_as(&sql).bind(company).bind(customer).fetch_all(pool).await?;
            let tags = sqlx::query_as(TAGS).bind(company).bind(customer).fetch_all(pool).await?;
            (records, tags)
        });
        let mut by_activity: std::collections::HashMap<i64, Vec<(String, i64)>> =
            std::collections::HashMap::new();
        for (id, tran, amount) in tags {
            by_activity.entry(id).or_default().push((tran, amount));
        }
        Ok(records
            .into_iter()
            .map(|record| {
                let tagged = tags_of(by_activity.remove(&record.activity_id).unwrap_or_default());
                Activity { record, tagged }
            })
            .collect())
    }

    /// Logs a communication: a new issue when it is not on an open one, its activity and tags,
    /// the follow-up a completed activity asks for, and the issue resolved when asked; all in
    /// one transaction with its events.
    pub async fn add_communication(
        &self,
        c: &NewCommunication,
        actor: Actor<'_>,
    ) -> Result<Result<Logged, Refused>, StoreError> {
        let mut tx = self.begin().await?;
        let logged = tx.communicate(c, actor).await?;
        if logged.is_ok() {
            tx.commit().await?;
        }
        Ok(logged)
    }

    /// Edits an activity that is still at `version`: what was said, its tags, its follow-up,
    /// its user; completes it and resolves its issue when asked.
    pub async fn edit_activity(
        &self,
        activity_id: i64,
        version: i64,
        said: &Said,
        actor: Actor<'_>,
    ) -> Result<Result<Logged, Refused>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(before) = tx.activity(activity_id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        if before.record.version != version {
            return Ok(Err(Refused::Conflict(before.record.version)));
        }
        let issue = tx.issue(before.record.issue_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("issue {} vanished", before.record.issue_id))
        })?;
        if !issue.is_open {
            return Ok(Err(Refused::Closed));
        }
        let mut record = before.record.clone();
        apply_said(&mut record, said, actor);
        if !tx.update_activity(&record, version).await? {
            return Ok(Err(Refused::Conflict(version + 1)));
        }
        tx.set_tags(activity_id, &record.company_id, &said.tagged)
            .await?;
        let after = tx.activity(activity_id).await?;
        let action = if before.record.is_open && !record.is_open {
            "complete"
        } else {
            "update"
        };
        tx.log_change(actor, action, Some(&before), after.as_ref())
            .await?;
        let followup_id = match (&said.resolve, record.is_open) {
            (Some(resolution), _) => {
                tx.resolve(&issue, resolution, actor).await?;
                None
            }
            (None, false) => tx.schedule_followup(&record, actor).await?,
            (None, true) => None,
        };
        tx.commit().await?;
        Ok(Ok(Logged {
            issue_id: issue.issue_id,
            activity_id,
            followup_id,
            expected_id: None,
        }))
    }

    /// Resolves an open issue still at `version`, completing its open activities.
    pub async fn resolve_issue(
        &self,
        issue_id: i64,
        version: i64,
        resolution: &str,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        let mut tx = self.begin().await?;
        let issue = match tx.issue(issue_id).await? {
            None => return Ok(Err(Refused::NotFound)),
            Some(i) if i.version != version => return Ok(Err(Refused::Conflict(i.version))),
            Some(i) if !i.is_open => return Ok(Err(Refused::Closed)),
            Some(i) => i,
        };
        tx.resolve(&issue, resolution, actor).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Gives an open issue still at `version`, and its open activities, to another user.
    pub async fn reassign_issue(
        &self,
        issue_id: i64,
        version: i64,
        user: Option<&str>,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        const ISSUE: &str =
            "UPDATE issues SET assigned_user = $1, version = version + 1 WHERE issue_id = $2";
        const OPEN: &str = "SELECT activity_id FROM activities WHERE issue_id = $1 AND is_open = $2 ORDER BY activity_id";
        const ACTIVITY: &str = "UPDATE activities SET assigned_user = $1, version = version + 1 \
             WHERE activity_id = $2";
        let mut tx = self.begin().await?;
        let issue = match tx.issue(issue_id).await? {
            None => return Ok(Err(Refused::NotFound)),
            Some(i) if i.version != version => return Ok(Err(Refused::Conflict(i.version))),
            Some(i) if !i.is_open => return Ok(Err(Refused::Closed)),
            Some(i) => i,
        };
        let open: Vec<i64> = on_tx!(&mut tx, t => {
            sqlx::query(ISSUE).bind(user).bind(issue_id).execute(&mut **t).await?;
            sqlx::query_scalar(OPEN).bind(issue_id).bind(true).fetch_all(&mut **t).await?
        });
        for id in open {
            let before = tx.activity(id).await?;
            on_tx!(&mut tx, t => {
                sqlx::query(ACTIVITY).bind(user).bind(id).execute(&mut **t).await?;
            });
            let after = tx.activity(id).await?;
            tx.log_change(actor, "reassign", before.as_ref(), after.as_ref())
                .await?;
        }
        let after = tx.issue(issue_id).await?;
        tx.log_change(actor, "reassign", Some(&issue), after.as_ref())
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Every event `q` selects, oldest first.
    pub async fn events(&self, q: &EventQuery<'_>) -> Result<Vec<Event>, StoreError> {
        self.events_page(q, 0, i64::MAX, false).await
    }

    /// A page of the events `q` selects: `limit` of them after the first `offset`, oldest or
    /// newest first.
    pub async fn events_page(
        &self,
        q: &EventQuery<'_>,
        offset: i64,
        limit: i64,
        newest_first: bool,
    ) -> Result<Vec<Event>, StoreError> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE {EVENT_WHERE} \
             ORDER BY event_id {order} LIMIT $7 OFFSET $8"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(q.company)
                .bind(q.customer)
                .bind(q.entity)
                .bind(q.from)
                .bind(q.to)
                .bind(q.after)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
        }))
    }

    /// How many events `q` selects.
    pub async fn event_count(&self, q: &EventQuery<'_>) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM events WHERE {EVENT_WHERE}");
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(q.company)
                .bind(q.customer)
                .bind(q.entity)
                .bind(q.from)
                .bind(q.to)
                .bind(q.after)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Appends one event on its own.
    pub async fn log_event(&self, actor: Actor<'_>, e: &NewEvent<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.log_event(actor, e).await?;
        tx.commit().await
    }
}

/// A note on one invoice.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct InvoiceNote {
    pub note_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub tran_id: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl Store {
    /// An invoice's notes, newest first.
    pub async fn invoice_notes(
        &self,
        company: &str,
        tran_id: &str,
    ) -> Result<Vec<InvoiceNote>, StoreError> {
        const SQL: &str = "SELECT note_id, company_id, customer_id, tran_id, note, created_at, \
             created_by FROM invoice_notes WHERE company_id = $1 AND tran_id = $2 ORDER BY note_id DESC";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(company).bind(tran_id).fetch_all(pool).await?
        }))
    }

    /// Adds a note to an invoice, with its event; its id.
    pub async fn add_invoice_note(
        &self,
        company: &str,
        customer: &str,
        tran_id: &str,
        note: &str,
        actor: Actor<'_>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO invoice_notes (company_id, customer_id, tran_id, note, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING note_id";
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, t => {
            sqlx::query_scalar(SQL)
                .bind(company)
                .bind(customer)
                .bind(tran_id)
                .bind(note)
                .bind(actor.at)
                .bind(actor.user_id)
                .fetch_one(&mut **t)
                .await?
        });
        let record = InvoiceNote {
            note_id: id,
            company_id: company.to_owned(),
            customer_id: customer.to_owned(),
            tran_id: tran_id.to_owned(),
            note: note.to_owned(),
            created_at: actor.at,
            created_by: actor.user_id.to_owned(),
        };
        tx.log_change(actor, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(id)
    }
}
