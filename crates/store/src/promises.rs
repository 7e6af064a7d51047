//! Expected payments and promises to pay as stored: recorded on a communication, matched at
//! each sync and each generate against the payments applied to their invoices, cancelled by
//! hand; each change logged.

use std::collections::HashMap;

use arrears_domain::Money;
use arrears_domain::promises::{Entry, Expected, Receipt, Status};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::bulk::{Scope, scoped};
use crate::tx::on_tx;
use crate::user_actions::NewUserAction;
use crate::workflow::{Actor, Entity, Refused};
use crate::{Store, StoreError, Tx, on_pool};

/// One expected payment, as stored, with the invoices it is tagged to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectedRecord {
    pub expected_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub activity_id: Option<i64>,
    pub issue_id: Option<i64>,
    /// In `currency`.
    pub amount: Money,
    pub currency: String,
    pub expected_date: NaiveDate,
    pub is_promise: bool,
    pub note: Option<String>,
    pub entered_on: NaiveDate,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    /// `open`, `kept`, `broken`, `missed` or `cancelled`, as the last check found.
    pub status: String,
    pub actual_amount: Money,
    pub actual_date: Option<NaiveDate>,
    pub checked_on: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    pub cancelled_by: Option<String>,
    pub version: i64,
    pub tagged: Vec<String>,
}

impl ExpectedRecord {
    /// As the domain matches it.
    pub fn expected(&self) -> Expected {
        Expected {
            amount: self.amount,
            date: self.expected_date,
            entered_on: self.entered_on,
            promise: self.is_promise,
            cancelled: self.status == Status::Cancelled.code(),
        }
    }
}

impl Entity for ExpectedRecord {
    const NAME: &'static str = "expected_payment";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.expected_id)
    }
}

const COLUMNS: &str = "expected_id, company_id, customer_id, activity_id, issue_id, amount, \
     currency, expected_date, is_promise, note, entered_on, entered_at, entered_by, status, \
     actual_amount, actual_date, checked_on, cancelled_on, cancelled_by, version";

fn record<R: Row>(r: &R) -> Result<ExpectedRecord, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> bool: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> NaiveDate: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ExpectedRecord {
        expected_id: r.try_get("expected_id")?,
        company_id: r.try_get("company_id")?,
        customer_id: r.try_get("customer_id")?,
        activity_id: r.try_get("activity_id")?,
        issue_id: r.try_get("issue_id")?,
        amount: Money::from_raw(r.try_get("amount")?),
        currency: r.try_get("currency")?,
        expected_date: r.try_get("expected_date")?,
        is_promise: r.try_get("is_promise")?,
        note: r.try_get("note")?,
        entered_on: r.try_get("entered_on")?,
        entered_at: r.try_get("entered_at")?,
        entered_by: r.try_get("entered_by")?,
        status: r.try_get("status")?,
        actual_amount: Money::from_raw(r.try_get("actual_amount")?),
        actual_date: r.try_get("actual_date")?,
        checked_on: r.try_get("checked_on")?,
        cancelled_on: r.try_get("cancelled_on")?,
        cancelled_by: r.try_get("cancelled_by")?,
        version: r.try_get("version")?,
        tagged: Vec::new(),
    })
}

/// An expected payment to record with a communication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewExpected {
    pub amount: Money,
    pub currency: String,
    pub date: NaiveDate,
    pub promise: bool,
    pub note: Option<String>,
    /// Tagged invoices; none: any payment of the customer in `currency` counts.
    pub tagged: Vec<String>,
}

/// What a check of the expected payments found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Expected payments whose status or payments changed.
    pub changed: u64,
    pub kept: u64,
    pub broken: u64,
    /// User actions raised: broken promises and follow-ups past due.
    pub raised: u64,
    /// Follow-up user actions closed because their activity was done.
    pub closed: u64,
}

/// Statuses a check still looks at: a kept or cancelled expected payment is settled.
const UNSETTLED: &str = "x.status IN ('open', 'broken', 'missed')";

impl Tx {
    /// Records an expected payment on an activity, with its tags and event.
    pub(crate) async fn expect_payment(
        &mut self,
        e: &NewExpected,
        at: (&str, &str, i64, i64),
        actor: Actor<'_>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO expected_payments (company_id, customer_id, activity_id, \
             issue_id, amount, currency, expected_date, is_promise, note, entered_on, entered_at, \
             entered_by, status, actual_amount, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, 1) \
             RETURNING expected_id";
        const TAG: &str = "INSERT INTO expected_payment_invoices (expected_id, company_id, tran_id) VALUES ($1, $2, $3)";
        let (company, customer, activity_id, issue_id) = at;
        let id: i64 = on_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(SQL)
                .bind(company)
                .bind(customer)
                .bind(activity_id)
                .bind(issue_id)
                .bind(e.amount.raw())
                .bind(&e.currency)
                .bind(e.date)
                .bind(e.promise)
                .bind(&e.note)
                .bind(actor.business_date)
                .bind(actor.at)
                .bind(actor.user_id)
                .bind(Status::Open.code())
                .fetch_one(&mut **tx)
                .await?;
            for tran in &e.tagged {
                sqlx::query(TAG).bind(id).bind(company).bind(tran).execute(&mut **tx).await?;
            }
            id
        });
        let after = self.expected(id).await?;
        self.log_change(actor, "create", None, after.as_ref())
            .await?;
        Ok(id)
    }

    async fn expected(&mut self, id: i64) -> Result<Option<ExpectedRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM expected_payments WHERE expected_id = $1");
        const TAGS: &str = "SELECT tran_id FROM expected_payment_invoices WHERE expected_id = $1 \
             ORDER BY tran_id";
        Ok(on_tx!(self, tx => {
            match sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? {
                None => None,
                Some(row) => {
                    let mut r = record(&row)?;
                    r.tagged = sqlx::query_scalar(TAGS).bind(id).fetch_all(&mut **tx).await?;
                    Some(r)
                }
            }
        }))
    }
}

impl Store {
    /// A customer's expected payments, latest date first, with their tags.
    pub async fn expected_of(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<ExpectedRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM expected_payments WHERE company_id = $1 AND customer_id = $2 \
             ORDER BY expected_date DESC, expected_id DESC"
        );
        const TAGS: &str = "SELECT t.expected_id, t.tran_id FROM expected_payment_invoices t \
             JOIN expected_payments x ON x.expected_id = t.expected_id \
             WHERE x.company_id = $1 AND x.customer_id = $2 ORDER BY t.tran_id";
        let (mut records, tags): (Vec<ExpectedRecord>, Vec<(i64, String)>) = on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(company).bind(customer).fetch_all(pool).await?;
            let records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            let tags = sqlx::query_as(TAGS).bind(company).bind(customer).fetch_all(pool).await?;
            (records, tags)
        });
        let mut by_id: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, tran) in tags {
            by_id.entry(id).or_default().push(tran);
        }
        for r in &mut records {
            r.tagged = by_id.remove(&r.expected_id).unwrap_or_default();
        }
        Ok(records)
    }

    /// One expected payment with its tags.
    pub async fn expected(&self, id: i64) -> Result<Option<ExpectedRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let found = tx.expected(id).await?;
        tx.rollback().await?;
        Ok(found)
    }

    /// The expected payments of `scope` (all of them, or only the unsettled ones) as the
    /// domain matches them, with their tags and every payment towards each.
    pub async fn promise_book(
        &self,
        scope: Scope<'_>,
        unsettled_only: bool,
    ) -> Result<Vec<(String, String, Entry)>, StoreError> {
        Ok(self
            .stored_book(scope, unsettled_only)
            .await?
            .into_iter()
            .map(|(r, entry)| (r.company_id, r.customer_id, entry))
            .collect())
    }

    /// The expected payments of `scope` as stored (with their tags) and as the domain
    /// matches them: three queries for the lot.
    async fn stored_book(
        &self,
        scope: Scope<'_>,
        unsettled_only: bool,
    ) -> Result<Vec<(ExpectedRecord, Entry)>, StoreError> {
        let status = if unsettled_only {
            UNSETTLED
        } else {
            "x.status <> 'cancelled'"
        };
        let rows_sql = format!(
            "SELECT {COLUMNS} FROM expected_payments x WHERE {} AND {status} ORDER BY expected_id",
            scoped("x.", scope)
        );
        let tags_sql = format!(
            "SELECT t.expected_id, t.tran_id FROM expected_payment_invoices t \
             JOIN expected_payments x ON x.expected_id = t.expected_id WHERE {} AND {status}",
            scoped("x.", scope)
        );
        // Applications to the tagged invoices; for an expected payment with none tagged, the
        // customer's payments in its currency. Only those from the day it was recorded.
        let receipts_sql = format!(
            "SELECT x.expected_id, a.effective_date, a.amount FROM expected_payments x \
             JOIN expected_payment_invoices t ON t.expected_id = x.expected_id \
             JOIN payment_applications a ON a.company_id = t.company_id AND a.tran_id = t.tran_id \
             WHERE {scope} AND {status} AND a.effective_date >= x.entered_on \
             UNION ALL \
             SELECT x.expected_id, p.payment_date, p.amount FROM expected_payments x \
             JOIN payments p ON p.company_id = x.company_id AND p.customer_id = x.customer_id \
                 AND p.currency = x.currency \
             WHERE {scope} AND {status} AND p.payment_date >= x.entered_on \
             AND NOT EXISTS (SELECT 1 FROM expected_payment_invoices t \
                 WHERE t.expected_id = x.expected_id)",
            scope = scoped("x.", scope)
        );
        type Read = (
            Vec<ExpectedRecord>,
            Vec<(i64, String)>,
            Vec<(i64, NaiveDate, i64)>,
        );
        let (records, tags, receipts): Read = on_pool!(self, pool => {
            let rows = sqlx::query(&rows_sql).bind(scope.company).bind(scope.customer)
                .fetch_all(pool).await?;
            let records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            let tags = sqlx::query_as(&tags_sql).bind(scope.company).bind(scope.customer)
                .fetch_all(pool).await?;
            let receipts = sqlx::query_as(&receipts_sql).bind(scope.company).bind(scope.customer)
                .fetch_all(pool).await?;
            (records, tags, receipts)
        });
        let mut tagged: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, tran) in tags {
            tagged.entry(id).or_default().push(tran);
        }
        let mut paid: HashMap<i64, Vec<Receipt>> = HashMap::new();
        for (id, date, amount) in receipts {
            paid.entry(id).or_default().push(Receipt {
                date,
                amount: Money::from_raw(amount),
            });
        }
        Ok(records
            .into_iter()
            .map(|mut r| {
                r.tagged = tagged.remove(&r.expected_id).unwrap_or_default();
                let entry = Entry {
                    expected_id: r.expected_id,
                    expected: r.expected(),
                    tagged: r.tagged.clone(),
                    receipts: paid.remove(&r.expected_id).unwrap_or_default(),
                };
                (r, entry)
            })
            .collect())
    }

    /// Cancels an expected payment still open and at `version`.
    pub async fn cancel_expected(
        &self,
        id: i64,
        version: i64,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        const SQL: &str = "UPDATE expected_payments SET status = $1, cancelled_on = $2, \
             cancelled_by = $3, version = version + 1 \
             WHERE expected_id = $4 AND version = $5 AND status = $6";
        let mut tx = self.begin().await?;
        let Some(before) = tx.expected(id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        if before.version != version {
            return Ok(Err(Refused::Conflict(before.version)));
        }
        if before.status != Status::Open.code() {
            return Ok(Err(Refused::Closed));
        }
        let changed = on_tx!(&mut tx, t => {
            sqlx::query(SQL)
                .bind(Status::Cancelled.code())
                .bind(actor.business_date)
                .bind(actor.user_id)
                .bind(id)
                .bind(version)
                .bind(Status::Open.code())
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        if changed != 1 {
            return Ok(Err(Refused::Conflict(version + 1)));
        }
        let after = tx.expected(id).await?;
        tx.log_change(actor, "cancel", Some(&before), after.as_ref())
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The check that runs at every sync and every generate: matches the unsettled expected
    /// payments against the payments on `actor.business_date`, records what changed, raises a
    /// Broken Promise user action for each promise newly broken and a Follow-up Past Due one
    /// for each follow-up past its respond-by date, and closes those whose follow-up is done.
    /// One transaction.
    pub async fn check_expected(&self, actor: Actor<'_>) -> Result<CheckOutcome, StoreError> {
        // Only when no one changed it since it was read (a user may cancel it meanwhile).
        const UPDATE: &str = "UPDATE expected_payments SET status = $1, actual_amount = $2, \
             actual_date = $3, checked_on = $4, version = version + 1 \
             WHERE expected_id = $5 AND version = $6";
        let as_of = actor.business_date;
        let book = self.stored_book(Scope::ALL, true).await?;
        let mut out = CheckOutcome::default();
        let mut tx = self.begin().await?;
        for (before, entry) in book {
            if entry.expected.entered_on > as_of {
                continue;
            }
            let m = entry.expected.matched(&entry.receipts, as_of);
            let unchanged = before.status == m.status.code()
                && before.actual_amount == m.actual_amount
                && before.actual_date == m.actual_date;
            if unchanged {
                continue;
            }
            let changed = on_tx!(&mut tx, t => {
                sqlx::query(UPDATE)
                    .bind(m.status.code())
                    .bind(m.actual_amount.raw())
                    .bind(m.actual_date)
                    .bind(as_of)
                    .bind(entry.expected_id)
                    .bind(before.version)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            });
            if changed == 0 {
                continue;
            }
            let after = tx.expected(entry.expected_id).await?;
            tx.log_change(actor, "check", Some(&before), after.as_ref())
                .await?;
            out.changed += 1;
            match m.status {
                Status::Kept => out.kept += 1,
                Status::Broken if before.status != Status::Broken.code() => {
                    out.broken += 1;
                    let detail = format!(
                        "promised {} {} by {}; paid {}",
                        before.amount, before.currency, before.expected_date, m.actual_amount
                    );
                    let raised = NewUserAction {
                        kind: "broken_promise",
                        company_id: &before.company_id,
                        customer_id: &before.customer_id,
                        user_id: None,
                        subject: format!("expected_payment:{}", entry.expected_id),
                        detail,
                    };
                    out.raised += u64::from(tx.raise(&raised, actor).await?);
                }
                _ => {}
            }
        }
        let (raised, closed) = tx.followups_past_due(actor).await?;
        out.raised += raised;
        out.closed += closed;
        tx.commit().await?;
        Ok(out)
    }
}
