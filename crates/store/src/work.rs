//! The collectors' work: issues, their activities and tagged invoices, and the log of the
//! generate runs that create and close them.

use std::collections::HashMap;

use arrears_domain::Money;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use crate::bulk::{Scope, scoped};
use crate::tx::on_tx;
use crate::{Store, StoreError, Tx, on_pool};

/// One issue (credit task), as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct IssueRecord {
    pub issue_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub subject: String,
    pub action_code: String,
    pub priority: i64,
    pub credit_class: Option<String>,
    pub seq_no: Option<i64>,
    pub assigned_user: Option<String>,
    pub is_open: bool,
    pub created_date: NaiveDate,
    pub created_by: String,
    pub reason: Option<String>,
    pub closed_date: Option<NaiveDate>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
    /// Raised by every change, so that two users editing it at once conflict.
    pub version: i64,
}

pub(crate) const ISSUE_COLUMNS: &str = "issue_id, company_id, customer_id, subject, action_code, \
     priority, credit_class, seq_no, assigned_user, is_open, created_date, created_by, reason, \
     closed_date, closed_by, close_reason, version";

/// The first activity of a new issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActivity {
    pub activity_type: String,
    pub action_code: Option<String>,
    pub description: Option<String>,
    pub assigned_user: Option<String>,
    pub customer_contact: bool,
    pub start_date: NaiveDate,
    pub respond_by: NaiveDate,
    pub followup_date: Option<NaiveDate>,
    pub followup_user: Option<String>,
    /// Tagged invoices and their open balances (home currency) when tagged.
    pub tagged: Vec<(String, Money)>,
}

/// An issue to open, with its first activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIssue {
    pub company_id: String,
    pub customer_id: String,
    pub subject: String,
    pub action_code: String,
    pub priority: i64,
    pub credit_class: Option<String>,
    pub seq_no: Option<i64>,
    pub assigned_user: Option<String>,
    pub created_date: NaiveDate,
    pub created_by: String,
    pub reason: Option<String>,
    pub activity: NewActivity,
}

/// An open issue to close, with its open activities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueClosing {
    pub issue_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub date: NaiveDate,
    pub by: String,
    pub reason: String,
}

/// One generate run, as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateRun {
    pub run_id: i64,
    pub company_id: Option<String>,
    pub run_date: NaiveDate,
    pub credit_class: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub run_by: String,
    /// `manual` or `schedule`.
    pub source: String,
    pub created: i64,
    pub closed: i64,
    pub errors: Vec<String>,
}

/// What a customer's activities say, for the work figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivitySummary {
    pub last_completed: Option<NaiveDate>,
    pub last_code: Option<String>,
    pub latest_open_start: Option<NaiveDate>,
    pub oldest_open_due: Option<NaiveDate>,
    pub last_contact: Option<NaiveDate>,
}

/// An open issue as a generate run needs it: the rule that made it and its first activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIssue {
    pub issue_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub action_code: String,
    pub credit_class: Option<String>,
    pub seq_no: Option<i64>,
    pub assigned_user: Option<String>,
    pub created_date: NaiveDate,
    pub start_date: Option<NaiveDate>,
    pub respond_by: Option<NaiveDate>,
}

/// Whose work queue: everyone's, one user's, or the unassigned pool's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue<'a> {
    Everyone,
    User(&'a str),
    Unassigned,
    /// One customer's issues, whoever has them.
    Customer(&'a str, &'a str),
}

/// One line of a work queue: an open (or closed) issue with its activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueItem {
    pub issue: IssueRecord,
    pub customer_name: Option<String>,
    pub activity_type: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub respond_by: Option<NaiveDate>,
    /// The follow-up date it asks for; for a follow-up, the date it follows up on.
    pub followup_date: Option<NaiveDate>,
    /// The issue's current activity: its first open one, else its last.
    pub activity_id: Option<i64>,
    pub tagged: i64,
    pub tagged_amount: Money,
    /// The day that activity was entered.
    pub entered_date: Option<NaiveDate>,
}

type CustomerKey = (String, String);

impl Store {
    /// Open issues of one company or all.
    pub async fn open_issues(&self, company: Option<&str>) -> Result<Vec<IssueRecord>, StoreError> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE is_open = $1 AND ($2 IS NULL OR company_id = $2) \
             ORDER BY issue_id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, IssueRecord>(&sql).bind(true).bind(company).fetch_all(pool).await?
        }))
    }

    /// The invoices tagged to each open issue's activities.
    pub async fn open_issue_tags(
        &self,
        scope: Scope<'_>,
    ) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        let sql = format!(
            "SELECT a.issue_id, t.tran_id FROM activity_invoices t \
             JOIN activities a ON a.activity_id = t.activity_id \
             JOIN issues i ON i.issue_id = a.issue_id \
             WHERE i.is_open = TRUE AND {} ORDER BY t.tran_id",
            scoped("i.", scope)
        );
        let pairs = self
            .read_rows(&sql, scope, 0, |r| {
                Ok((r.required_int(0)?, r.required_text(1)?))
            })
            .await?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for (issue, tran) in pairs {
            out.entry(issue).or_default().push(tran);
        }
        Ok(out)
    }

    /// The open issues of one company, one customer or all, with their first activity's dates.
    pub async fn open_issues_brief(&self, scope: Scope<'_>) -> Result<Vec<OpenIssue>, StoreError> {
        let sql = format!(
            "SELECT i.issue_id, i.company_id, i.customer_id, i.action_code, \
             i.credit_class, i.seq_no, i.assigned_user, i.created_date, \
             MIN(a.start_date), MIN(a.respond_by) \
             FROM issues i LEFT JOIN activities a ON a.issue_id = i.issue_id \
             WHERE i.is_open = TRUE AND {} \
             GROUP BY i.issue_id, i.company_id, i.customer_id, i.action_code, i.credit_class, \
             i.seq_no, i.assigned_user, i.created_date ORDER BY i.issue_id",
            scoped("i.", scope)
        );
        self.read_rows(&sql, scope, 0, |r| {
            Ok(OpenIssue {
                issue_id: r.required_int(0)?,
                company_id: r.required_text(1)?,
                customer_id: r.required_text(2)?,
                action_code: r.required_text(3)?,
                credit_class: r.text(4)?,
                seq_no: r.int(5)?,
                assigned_user: r.text(6)?,
                created_date: r.required_date(7)?,
                start_date: r.date(8)?,
                respond_by: r.date(9)?,
            })
        })
        .await
    }

    /// Customers with an issue a rule created on `date`: (company, customer, class, seq_no).
    pub async fn rule_issues_created_on(
        &self,
        date: NaiveDate,
        scope: Scope<'_>,
    ) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        const SQL: &str = "SELECT company_id, customer_id, credit_class, seq_no FROM issues \
             WHERE created_date = $1 AND seq_no IS NOT NULL AND credit_class IS NOT NULL \
             AND ($2 IS NULL OR company_id = $2) AND ($3 IS NULL OR customer_id = $3)";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL)
                .bind(date)
                .bind(scope.company)
                .bind(scope.customer)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Per customer: the latest completed activity, the latest open one, the oldest open
    /// respond-by date and the latest customer contact.
    pub async fn activity_summaries(
        &self,
        scope: Scope<'_>,
    ) -> Result<HashMap<CustomerKey, ActivitySummary>, StoreError> {
        let dates = format!(
            "SELECT company_id, customer_id, \
             MAX(CASE WHEN is_open THEN start_date END), \
             MIN(CASE WHEN is_open THEN respond_by END), \
             MAX(CASE WHEN customer_contact THEN start_date END) \
             FROM activities WHERE {} GROUP BY company_id, customer_id",
            scoped("", scope)
        );
        let last = format!(
            "SELECT company_id, customer_id, completed_date, action_code FROM ( \
             SELECT company_id, customer_id, completed_date, action_code, ROW_NUMBER() OVER ( \
             PARTITION BY company_id, customer_id ORDER BY completed_date DESC, activity_id DESC) AS n \
             FROM activities WHERE is_open = FALSE AND {}) latest WHERE n = 1",
            scoped("", scope)
        );
        let mut out: HashMap<CustomerKey, ActivitySummary> = HashMap::new();
        let dates = self
            .read_rows(&dates, scope, 0, |r| {
                Ok((
                    (r.required_text(0)?, r.required_text(1)?),
                    r.date(2)?,
                    r.date(3)?,
                    r.date(4)?,
                ))
            })
            .await?;
        for (key, open_start, open_due, contact) in dates {
            let s = out.entry(key).or_default();
            s.latest_open_start = open_start;
            s.oldest_open_due = open_due;
            s.last_contact = contact;
        }
        let last = self
            .read_rows(&last, scope, 0, |r| {
                Ok((
                    (r.required_text(0)?, r.required_text(1)?),
                    r.date(2)?,
                    r.text(3)?,
                ))
            })
            .await?;
        for (key, completed, code) in last {
            let s = out.entry(key).or_default();
            s.last_completed = completed;
            s.last_code = code;
        }
        Ok(out)
    }

    /// How many activities each invoice is tagged to, by company and `tran_id`.
    pub async fn tag_counts(
        &self,
        scope: Scope<'_>,
    ) -> Result<HashMap<CustomerKey, i64>, StoreError> {
        let sql = format!(
            "SELECT t.company_id, t.tran_id, COUNT(*) FROM activity_invoices t \
             JOIN activities a ON a.activity_id = t.activity_id \
             WHERE {} GROUP BY t.company_id, t.tran_id",
            scoped("a.", scope)
        );
        let rows = self
            .read_rows(&sql, scope, 0, |r| {
                Ok((
                    (r.required_text(0)?, r.required_text(1)?),
                    r.required_int(2)?,
                ))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Starts writing a generate run: one transaction, opened with the run's row (on SQLite it
    /// takes the write lock, so the ids read next stay free until the commit). The new issues
    /// follow in order ([`GenerateWrite::issues`]), and [`GenerateWrite::finish`] closes
    /// issues, completes the run's row and commits; dropped before, it writes nothing.
    pub async fn start_generate(&self, run: &GenerateRun) -> Result<GenerateWrite, StoreError> {
        const RUN: &str = "INSERT INTO generate_runs (run_date, credit_class, started_at, finished_at, \
             run_by, source, created, closed, errors, company_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING run_id";
        let mut tx = self.begin().await?;
        let (run_id, next_issue, next_activity) = on_tx!(&mut tx, tx => {
            let run_id: i64 = sqlx::query_scalar(RUN)
                .bind(run.run_date)
                .bind(&run.credit_class)
                .bind(run.started_at)
                .bind(run.finished_at)
                .bind(&run.run_by)
                .bind(&run.source)
                .bind(run.created)
                .bind(run.closed)
                .bind(run.errors.join("\n"))
                .bind(&run.company_id)
                .fetch_one(&mut **tx)
                .await?;
            let first_issue: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(issue_id), 0) + 1 FROM issues")
                .fetch_one(&mut **tx).await?;
            let first_activity: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(activity_id), 0) + 1 FROM activities")
                .fetch_one(&mut **tx).await?;
            (run_id, first_issue, first_activity)
        });
        Ok(GenerateWrite {
            store: self.clone(),
            tx,
            run_id,
            next_issue,
            next_activity,
            at: Utc::now(),
            written: 0,
            encoding: None,
        })
    }

    /// The work queue: issues of one user (or all), open ones only unless `all`, by priority
    /// then respond-by date.
    pub async fn work_queue(
        &self,
        user: Queue<'_>,
        all: bool,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let (user, unassigned, customer) = match user {
            Queue::Everyone => (None, false, None),
            Queue::User(u) => (Some(u), false, None),
            Queue::Unassigned => (None, true, None),
            Queue::Customer(company, customer) => (None, false, Some((company, customer))),
        };
        let sql = format!(
            "SELECT {}, c.name, a.activity_type, a.start_date, a.respond_by, \
             COALESCE(a.followup_date, CASE WHEN a.followup_of IS NULL THEN NULL ELSE a.start_date END), \
             a.activity_id, \
             (SELECT COUNT(*) FROM activity_invoices t WHERE t.activity_id = a.activity_id), \
             (SELECT CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) FROM activity_invoices t WHERE t.activity_id = a.activity_id), \
             a.created_date \
             FROM issues i \
             LEFT JOIN activities a ON a.activity_id = COALESCE( \
                 (SELECT MIN(activity_id) FROM activities x WHERE x.issue_id = i.issue_id AND x.is_open = $2), \
                 (SELECT MAX(activity_id) FROM activities x WHERE x.issue_id = i.issue_id)) \
             LEFT JOIN customers c ON c.company_id = i.company_id AND c.customer_id = i.customer_id \
             WHERE ($1 IS NULL OR i.assigned_user = $1) AND (i.is_open = $2 OR $3) \
             AND (i.assigned_user IS NULL OR NOT $4) \
             AND ($5 IS NULL OR (i.company_id = $5 AND i.customer_id = $6)) \
             ORDER BY i.is_open DESC, i.priority, a.respond_by, i.issue_id",
            ISSUE_COLUMNS
                .split(", ")
                .map(|c| format!("i.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let n = 17;
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(user).bind(true).bind(all).bind(unassigned)
                .bind(customer.map(|c| c.0)).bind(customer.map(|c| c.1)).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(QueueItem {
                        issue: sqlx::FromRow::from_row(r)?,
                        customer_name: r.try_get(n)?,
                        activity_type: r.try_get(n + 1)?,
                        start_date: r.try_get(n + 2)?,
                        respond_by: r.try_get(n + 3)?,
                        followup_date: r.try_get(n + 4)?,
                        activity_id: r.try_get(n + 5)?,
                        tagged: r.try_get(n + 6)?,
                        tagged_amount: Money::from_raw(r.try_get(n + 7)?),
                        entered_date: r.try_get(n + 8)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// How many open issues a user has, and how many open activities of theirs are past their
    /// respond-by date on `as_of`: two index counts.
    pub async fn queue_counts(
        &self,
        user: &str,
        as_of: NaiveDate,
    ) -> Result<(i64, i64), StoreError> {
        const OPEN: &str = "SELECT COUNT(*) FROM issues WHERE is_open = $2 AND assigned_user = $1";
        const PAST_DUE: &str = "SELECT COUNT(*) FROM activities \
             WHERE is_open = $2 AND assigned_user = $1 AND respond_by < $3";
        Ok(on_pool!(self, pool => {
            let open: i64 = sqlx::query_scalar(OPEN).bind(user).bind(true).fetch_one(pool).await?;
            let past_due: i64 = sqlx::query_scalar(PAST_DUE)
                .bind(user)
                .bind(true)
                .bind(as_of)
                .fetch_one(pool)
                .await?;
            (open, past_due)
        }))
    }

    /// The latest generate runs, newest first.
    pub async fn generate_runs(&self, limit: i64) -> Result<Vec<GenerateRun>, StoreError> {
        const SQL: &str = "SELECT run_id, run_date, credit_class, started_at, finished_at, run_by, \
             source, created, closed, errors, company_id FROM generate_runs \
             ORDER BY run_id DESC LIMIT $1";
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    let errors: String = r.try_get(9)?;
                    Ok(GenerateRun {
                        run_id: r.try_get(0)?,
                        run_date: r.try_get(1)?,
                        credit_class: r.try_get(2)?,
                        started_at: r.try_get(3)?,
                        finished_at: r.try_get(4)?,
                        run_by: r.try_get(5)?,
                        source: r.try_get(6)?,
                        created: r.try_get(7)?,
                        closed: r.try_get(8)?,
                        errors: errors.lines().map(str::to_owned).collect(),
                        company_id: r.try_get(10)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Whether a schedule already ran for a company's credit class on a business date.
    pub async fn schedule_ran(
        &self,
        company: &str,
        class: &str,
        date: NaiveDate,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM generate_runs WHERE source = 'schedule' \
             AND company_id = $1 AND credit_class = $2 AND run_date = $3";
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(company).bind(class).bind(date).fetch_one(pool).await?
        });
        Ok(n > 0)
    }
}

/// A generate run being written ([`Store::start_generate`]).
pub struct GenerateWrite {
    store: Store,
    tx: Tx,
    run_id: i64,
    /// The ids the next new issue and its first activity take.
    next_issue: i64,
    next_activity: i64,
    /// When the run's issues and events are logged as made.
    at: DateTime<Utc>,
    /// Rows changed so far: new issues, then closings.
    written: usize,
    /// On PostgreSQL, the last part's rows being encoded on a thread of their own while the
    /// server takes in the part before.
    encoding: Option<tokio::task::JoinHandle<Chunk>>,
}

impl GenerateWrite {
    /// Writes the next new issues, each with its first activity, tags and event, numbered
    /// after those before: parts come by customer, and a customer's by rule, so that ids
    /// follow that order and the indexes by customer grow page after page.
    pub async fn issues(&mut self, part: Vec<NewIssue>) -> Result<(), StoreError> {
        let (first_issue, first_activity) = (self.next_issue, self.next_activity);
        let n = part.len() as i64;
        self.next_issue += n;
        self.next_activity += n;
        self.written += part.len();
        let at = self.at;
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                let numbered = numbered(&part, first_issue, first_activity);
                crate::sqlite::with_handle(tx, |c| write_issues_sqlite(c, &numbered, at)).await?;
            }
            Tx::Postgres(tx) => {
                let encoding = tokio::task::spawn_blocking(move || {
                    Chunk::of(&numbered(&part, first_issue, first_activity), at)
                });
                if let Some(before) = self.encoding.replace(encoding) {
                    encoded(before).await?.copy(tx).await?;
                }
            }
        }
        Ok(())
    }

    /// Closes `closes`, completes the run's row (when it finished, what it created and
    /// closed, its errors) and commits; gives the run's id.
    pub async fn finish(
        mut self,
        closes: &[IssueClosing],
        run: &GenerateRun,
    ) -> Result<i64, StoreError> {
        const RUN: &str = "UPDATE generate_runs SET finished_at = $1, created = $2, closed = $3, \
             errors = $4 WHERE run_id = $5";
        self.written += closes.len();
        let at = self.at;
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                crate::sqlite::with_handle(tx, |c| {
                    let closed = close_issues_sqlite(c, closes)?;
                    insert_events_sqlite(c, generate_events(&[], &closed), at)
                })
                .await?;
            }
            Tx::Postgres(tx) => {
                if let Some(last) = self.encoding.take() {
                    encoded(last).await?.copy(tx).await?;
                }
                let closed = close_issues_postgres(tx, closes).await?;
                let events: Vec<GeneratedEvent> = generate_events(&[], &closed).collect();
                crate::postgres::copy_binary(
                    tx,
                    INSERT_EVENT.trim_start_matches("INSERT INTO ").trim(),
                    events_binary(&events, at),
                )
                .await?;
                // Ids were given here; the identity sequences move past them for later
                // inserts.
                for (table, column) in [("issues", "issue_id"), ("activities", "activity_id")] {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                         GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1))"
                    );
                    sqlx::query(&sql).execute(&mut **tx).await?;
                }
            }
        }
        on_tx!(&mut self.tx, tx => {
            sqlx::query(RUN)
                .bind(run.finished_at)
                .bind(run.created)
                .bind(run.closed)
                .bind(run.errors.join("\n"))
                .bind(self.run_id)
                .execute(&mut **tx)
                .await?;
        });
        self.tx.commit().await?;
        if self.written >= LARGE_WRITE {
            self.store
                .refresh_statistics(&["issues", "activities", "activity_invoices", "events"])
                .await?;
        }
        Ok(self.run_id)
    }
}

/// Issues numbered from their first ids on.
fn numbered(
    part: &[NewIssue],
    first_issue: i64,
    first_activity: i64,
) -> Vec<(i64, i64, &NewIssue)> {
    part.iter()
        .enumerate()
        .map(|(n, issue)| (first_issue + n as i64, first_activity + n as i64, issue))
        .collect()
}

async fn encoded(encoding: tokio::task::JoinHandle<Chunk>) -> Result<Chunk, StoreError> {
    encoding
        .await
        .map_err(|e| StoreError::Corrupt(format!("writing the new issues stopped: {e}")))
}

/// New issues with their ids and their first activity's ids.
type Numbered<'a> = [(i64, i64, &'a NewIssue)];

/// Rows after which a write refreshes the planner's statistics.
pub const LARGE_WRITE: usize = 10_000;

const INSERT_ISSUE: &str = "INSERT INTO issues (issue_id, company_id, customer_id, subject, \
     action_code, priority, credit_class, seq_no, assigned_user, is_open, created_date, \
     created_at, created_by, reason) ";
const INSERT_ACTIVITY: &str = "INSERT INTO activities (activity_id, issue_id, company_id, \
     customer_id, activity_type, action_code, description, assigned_user, is_open, \
     customer_contact, start_date, respond_by, followup_date, followup_user, created_date, \
     created_by) ";
const INSERT_TAG: &str =
    "INSERT INTO activity_invoices (activity_id, company_id, tran_id, amount) ";

/// Issues written to SQLite between two batches of their events.
const SQLITE_BATCH: usize = 4096;

/// Writes new issues with their activities, tags and events on SQLite's own handle, a batch
/// at a time: a thread of its own writes the events (their JSON) of the batches to come while
/// the rows of one go in, so the writing thread only inserts.
fn write_issues_sqlite(
    c: &rusqlite::Connection,
    numbered: &Numbered<'_>,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    std::thread::scope(|scope| {
        let (batches, events) = std::sync::mpsc::sync_channel::<Vec<GeneratedEvent>>(2);
        scope.spawn(move || {
            for batch in numbered.chunks(SQLITE_BATCH) {
                if batches.send(generate_events(batch, &[]).collect()).is_err() {
                    // The inserts stopped on an error of their own, reported there.
                    return;
                }
            }
        });
        for batch in numbered.chunks(SQLITE_BATCH) {
            insert_issues_sqlite(c, batch, at)?;
            let made = events.recv().map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    std::io::Error::other("the events of the new issues were not written").into(),
                )
            })?;
            insert_events_sqlite(c, made.into_iter(), at)?;
        }
        Ok(())
    })
}

/// Writes new issues, activities and tags row by row on SQLite's own handle.
fn insert_issues_sqlite(
    c: &rusqlite::Connection,
    numbered: &Numbered<'_>,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    use rusqlite::params;
    let day = |d: NaiveDate| d.to_string();
    let mut issue = c.prepare_cached(&format!(
        "{INSERT_ISSUE} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13)"
    ))?;
    let mut activity = c.prepare_cached(&format!(
        "{INSERT_ACTIVITY} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?;
    let mut tag = c.prepare_cached(&format!("{INSERT_TAG} VALUES (?1, ?2, ?3, ?4)"))?;
    let created_at = at.to_rfc3339();
    for (issue_id, activity_id, i) in numbered {
        issue.execute(params![
            issue_id,
            i.company_id,
            i.customer_id,
            i.subject,
            i.action_code,
            i.priority,
            i.credit_class,
            i.seq_no,
            i.assigned_user,
            day(i.created_date),
            created_at,
            i.created_by,
            i.reason,
        ])?;
        let a = &i.activity;
        activity.execute(params![
            activity_id,
            issue_id,
            i.company_id,
            i.customer_id,
            a.activity_type,
            a.action_code,
            a.description,
            a.assigned_user,
            a.customer_contact,
            day(a.start_date),
            day(a.respond_by),
            a.followup_date.map(day),
            a.followup_user,
            day(i.created_date),
            i.created_by,
        ])?;
        for (tran, amount) in &a.tagged {
            tag.execute(params![activity_id, i.company_id, tran, amount.raw()])?;
        }
    }
    Ok(())
}

/// A chunk of new issues in `COPY`'s binary format: issues, activities, tags and events.
struct Chunk {
    issues: Vec<u8>,
    activities: Vec<u8>,
    tags: Vec<u8>,
    events: Vec<u8>,
}

impl Chunk {
    fn of(numbered: &Numbered<'_>, run_at: DateTime<Utc>) -> Chunk {
        use crate::postgres::Binary::{Bool, Date, Int, Stamp, Text};
        let issues = numbered.iter().map(|(id, _, i)| {
            vec![
                Int(Some(*id)),
                Text(Some(&i.company_id)),
                Text(Some(&i.customer_id)),
                Text(Some(&i.subject)),
                Text(Some(&i.action_code)),
                Int(Some(i.priority)),
                Text(i.credit_class.as_deref()),
                Int(i.seq_no),
                Text(i.assigned_user.as_deref()),
                Bool(true),
                Date(Some(i.created_date)),
                Stamp(run_at),
                Text(Some(&i.created_by)),
                Text(i.reason.as_deref()),
            ]
        });
        let activities = numbered.iter().map(|(issue_id, id, i)| {
            let a = &i.activity;
            vec![
                Int(Some(*id)),
                Int(Some(*issue_id)),
                Text(Some(&i.company_id)),
                Text(Some(&i.customer_id)),
                Text(Some(&a.activity_type)),
                Text(a.action_code.as_deref()),
                Text(a.description.as_deref()),
                Text(a.assigned_user.as_deref()),
                Bool(true),
                Bool(a.customer_contact),
                Date(Some(a.start_date)),
                Date(Some(a.respond_by)),
                Date(a.followup_date),
                Text(a.followup_user.as_deref()),
                Date(Some(i.created_date)),
                Text(Some(&i.created_by)),
            ]
        });
        let tags = numbered.iter().flat_map(|(_, id, i)| {
            i.activity.tagged.iter().map(move |(tran, amount)| {
                vec![
                    Int(Some(*id)),
                    Text(Some(&i.company_id)),
                    Text(Some(tran)),
                    Int(Some(amount.raw())),
                ]
            })
        });
        let events: Vec<GeneratedEvent> = generate_events(numbered, &[]).collect();
        Chunk {
            issues: crate::postgres::binary_rows(issues),
            activities: crate::postgres::binary_rows(activities),
            tags: crate::postgres::binary_rows(tags),
            events: events_binary(&events, run_at),
        }
    }

    async fn copy(
        self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ) -> Result<(), StoreError> {
        let target = |insert: &str| insert.trim_start_matches("INSERT INTO ").trim().to_owned();
        crate::postgres::copy_binary(tx, &target(INSERT_ISSUE), self.issues).await?;
        crate::postgres::copy_binary(tx, &target(INSERT_ACTIVITY), self.activities).await?;
        crate::postgres::copy_binary(tx, &target(INSERT_TAG), self.tags).await?;
        crate::postgres::copy_binary(tx, &target(INSERT_EVENT), self.events).await
    }
}

/// Closes open issues and their open activities, statement by statement on SQLite's handle;
/// gives those it closed (not those someone closed meanwhile).
fn close_issues_sqlite<'a>(
    c: &rusqlite::Connection,
    closes: &'a [IssueClosing],
) -> rusqlite::Result<Vec<&'a IssueClosing>> {
    let mut issue = c.prepare(
        "UPDATE issues SET is_open = 0, closed_date = ?1, closed_by = ?2, close_reason = ?3 \
         WHERE issue_id = ?4 AND is_open = 1",
    )?;
    let mut activities = c.prepare(
        "UPDATE activities SET is_open = 0, completed_date = ?1, completed_by = ?2 \
         WHERE issue_id = ?3 AND is_open = 1",
    )?;
    let mut closed = Vec::with_capacity(closes.len());
    for close in closes {
        let day = close.date.to_string();
        let changed = issue.execute(rusqlite::params![
            day,
            close.by,
            close.reason,
            close.issue_id
        ])?;
        if changed == 1 {
            activities.execute(rusqlite::params![day, close.by, close.issue_id])?;
            closed.push(close);
        }
    }
    Ok(closed)
}

/// Closes open issues and their open activities on PostgreSQL, a few thousand per statement;
/// gives those it closed (not those someone closed meanwhile).
async fn close_issues_postgres<'a>(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    closes: &'a [IssueClosing],
) -> Result<Vec<&'a IssueClosing>, StoreError> {
    const ISSUES: &str = "UPDATE issues SET is_open = FALSE, closed_date = c.day, \
         closed_by = c.who, close_reason = c.reason \
         FROM UNNEST($1::BIGINT[], $2::DATE[], $3::TEXT[], $4::TEXT[]) AS c(id, day, who, reason) \
         WHERE issues.issue_id = c.id AND issues.is_open RETURNING issues.issue_id";
    const ACTIVITIES: &str = "UPDATE activities SET is_open = FALSE, completed_date = c.day, \
         completed_by = c.who \
         FROM UNNEST($1::BIGINT[], $2::DATE[], $3::TEXT[]) AS c(id, day, who) \
         WHERE activities.issue_id = c.id AND activities.is_open";
    let mut closed = std::collections::HashSet::new();
    for chunk in closes.chunks(5_000) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.issue_id).collect();
        let days: Vec<NaiveDate> = chunk.iter().map(|c| c.date).collect();
        let who: Vec<&str> = chunk.iter().map(|c| c.by.as_str()).collect();
        let reasons: Vec<&str> = chunk.iter().map(|c| c.reason.as_str()).collect();
        let done: Vec<i64> = sqlx::query_scalar(ISSUES)
            .bind(&ids)
            .bind(&days)
            .bind(&who)
            .bind(&reasons)
            .fetch_all(&mut **tx)
            .await?;
        closed.extend(done);
        sqlx::query(ACTIVITIES)
            .bind(&ids)
            .bind(&days)
            .bind(&who)
            .execute(&mut **tx)
            .await?;
    }
    Ok(closes
        .iter()
        .filter(|c| closed.contains(&c.issue_id))
        .collect())
}

/// One event of a generate run, owned, on its way to the log.
struct GeneratedEvent {
    business_date: NaiveDate,
    user_id: String,
    company_id: String,
    customer_id: String,
    entity: &'static str,
    entity_id: i64,
    action: &'static str,
    before: Option<String>,
    after: Option<String>,
}

/// The events of a generate run, one by one: each issue it opened, its first activity inside
/// (`"activity"`), and each issue it closed, as the log keeps changes made by hand.
fn generate_events<'a>(
    numbered: &'a Numbered<'a>,
    closed: &'a [&'a IssueClosing],
) -> impl Iterator<Item = GeneratedEvent> + 'a {
    numbered
        .iter()
        .map(|(issue_id, activity_id, i)| opened_event(*issue_id, *activity_id, i))
        .chain(closed.iter().map(|c| closed_event(c)))
}

/// An issue a run opened, as the log keeps it: its record without empty fields, and its first
/// activity inside, without what it shares with its issue.
#[derive(serde::Serialize)]
struct Opened<'a> {
    issue_id: i64,
    company_id: &'a str,
    customer_id: &'a str,
    subject: &'a str,
    action_code: &'a str,
    priority: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_class: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq_no: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_user: Option<&'a str>,
    is_open: bool,
    created_date: NaiveDate,
    created_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    version: i64,
    activity: FirstActivity<'a>,
}

#[derive(serde::Serialize)]
struct FirstActivity<'a> {
    activity_id: i64,
    activity_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_user: Option<&'a str>,
    is_open: bool,
    customer_contact: bool,
    start_date: NaiveDate,
    respond_by: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    followup_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    followup_user: Option<&'a str>,
    version: i64,
    tagged: Vec<TagOf<'a>>,
}

#[derive(serde::Serialize)]
struct TagOf<'a> {
    tran_id: &'a str,
    amount: Money,
}

/// An issue a run opened, with its first activity.
fn opened_event(issue_id: i64, activity_id: i64, i: &NewIssue) -> GeneratedEvent {
    let a = &i.activity;
    let opened = Opened {
        issue_id,
        company_id: &i.company_id,
        customer_id: &i.customer_id,
        subject: &i.subject,
        action_code: &i.action_code,
        priority: i.priority,
        credit_class: i.credit_class.as_deref(),
        seq_no: i.seq_no,
        assigned_user: i.assigned_user.as_deref(),
        is_open: true,
        created_date: i.created_date,
        created_by: &i.created_by,
        reason: i.reason.as_deref(),
        version: 1,
        activity: FirstActivity {
            activity_id,
            activity_type: &a.activity_type,
            description: a.description.as_deref(),
            assigned_user: a.assigned_user.as_deref(),
            is_open: true,
            customer_contact: a.customer_contact,
            start_date: a.start_date,
            respond_by: a.respond_by,
            followup_date: a.followup_date,
            followup_user: a.followup_user.as_deref(),
            version: 1,
            tagged: a
                .tagged
                .iter()
                .map(|(tran_id, amount)| TagOf {
                    tran_id,
                    amount: *amount,
                })
                .collect(),
        },
    };
    GeneratedEvent {
        business_date: i.created_date,
        user_id: i.created_by.clone(),
        company_id: i.company_id.clone(),
        customer_id: i.customer_id.clone(),
        entity: "issue",
        entity_id: issue_id,
        action: "create",
        before: None,
        after: crate::workflow::json(&opened),
    }
}

/// An issue a run closed.
fn closed_event(c: &IssueClosing) -> GeneratedEvent {
    let before = serde_json::json!({ "is_open": true });
    let after = serde_json::json!({
        "is_open": false,
        "closed_date": c.date.to_string(),
        "closed_by": c.by,
        "close_reason": c.reason,
    });
    GeneratedEvent {
        business_date: c.date,
        user_id: c.by.clone(),
        company_id: c.company_id.clone(),
        customer_id: c.customer_id.clone(),
        entity: "issue",
        entity_id: c.issue_id,
        action: "close",
        before: Some(before.to_string()),
        after: Some(after.to_string()),
    }
}

const INSERT_EVENT: &str = "INSERT INTO events (at, business_date, user_id, company_id, \
     customer_id, entity, entity_id, action, before, after) ";

/// Appends a run's events row by row on SQLite's own handle.
fn insert_events_sqlite(
    c: &rusqlite::Connection,
    events: impl Iterator<Item = GeneratedEvent>,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut insert = c.prepare_cached(&format!(
        "{INSERT_EVENT} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?;
    let at = at.to_rfc3339();
    for e in events {
        insert.execute(rusqlite::params![
            at,
            e.business_date.to_string(),
            e.user_id,
            e.company_id,
            e.customer_id,
            e.entity,
            e.entity_id.to_string(),
            e.action,
            e.before,
            e.after,
        ])?;
    }
    Ok(())
}

/// Events in `COPY`'s binary format, logged at `at`.
fn events_binary(events: &[GeneratedEvent], at: DateTime<Utc>) -> Vec<u8> {
    use crate::postgres::Binary::{Date, Stamp, Text};
    let ids: Vec<String> = events.iter().map(|e| e.entity_id.to_string()).collect();
    let rows = events.iter().zip(&ids).map(|(e, id)| {
        vec![
            Stamp(at),
            Date(Some(e.business_date)),
            Text(Some(&e.user_id)),
            Text(Some(&e.company_id)),
            Text(Some(&e.customer_id)),
            Text(Some(e.entity)),
            Text(Some(id)),
            Text(Some(e.action)),
            Text(e.before.as_deref()),
            Text(e.after.as_deref()),
        ]
    });
    crate::postgres::binary_rows(rows)
}
