//! Disputes as stored: opened on an invoice, closed with a resolution, each change logged.

use std::collections::HashMap;

use arrears_domain::Money;
use arrears_domain::disputes::OpenDispute;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::bulk::{Scope, scoped};
use crate::tx::on_tx;
use crate::workflow::{Actor, Entity, Logged, NewCommunication, Refused};
use crate::{Store, StoreError, on_pool};

/// One dispute, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisputeRecord {
    pub dispute_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub tran_id: String,
    /// In the invoice's currency.
    pub amount: Money,
    pub dispute_date: NaiveDate,
    pub reason_code: String,
    pub severity: i64,
    pub exclude_from_aging: bool,
    pub note: Option<String>,
    pub activity_id: Option<i64>,
    /// The issue the dispute opened for itself, resolved when it closes.
    pub issue_id: Option<i64>,
    pub is_open: bool,
    /// The business date it was recorded on.
    pub entered_on: NaiveDate,
    pub entered_at: DateTime<Utc>,
    pub entered_by: String,
    pub closed_date: Option<NaiveDate>,
    /// The business date it was closed on.
    pub closed_on: Option<NaiveDate>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
    pub version: i64,
}

impl Entity for DisputeRecord {
    const NAME: &'static str = "dispute";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.dispute_id)
    }
}

const COLUMNS: &str = "dispute_id, company_id, customer_id, tran_id, amount, dispute_date, \
     reason_code, severity, exclude_from_aging, note, activity_id, issue_id, is_open, entered_on, \
     entered_at, entered_by, closed_date, closed_on, closed_by, resolution, version";

fn record<R: Row>(r: &R) -> Result<DisputeRecord, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> bool: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> NaiveDate: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DisputeRecord {
        dispute_id: r.try_get("dispute_id")?,
        company_id: r.try_get("company_id")?,
        customer_id: r.try_get("customer_id")?,
        tran_id: r.try_get("tran_id")?,
        amount: Money::from_raw(r.try_get("amount")?),
        dispute_date: r.try_get("dispute_date")?,
        reason_code: r.try_get("reason_code")?,
        severity: r.try_get("severity")?,
        exclude_from_aging: r.try_get("exclude_from_aging")?,
        note: r.try_get("note")?,
        activity_id: r.try_get("activity_id")?,
        issue_id: r.try_get("issue_id")?,
        is_open: r.try_get("is_open")?,
        entered_on: r.try_get("entered_on")?,
        entered_at: r.try_get("entered_at")?,
        entered_by: r.try_get("entered_by")?,
        closed_date: r.try_get("closed_date")?,
        closed_on: r.try_get("closed_on")?,
        closed_by: r.try_get("closed_by")?,
        resolution: r.try_get("resolution")?,
        version: r.try_get("version")?,
    })
}

/// A dispute to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDispute {
    pub company_id: String,
    pub customer_id: String,
    pub tran_id: String,
    pub amount: Money,
    pub dispute_date: NaiveDate,
    pub reason_code: String,
    pub severity: i64,
    pub exclude_from_aging: bool,
    pub note: Option<String>,
    /// The activity it was opened from, if any.
    pub activity_id: Option<i64>,
}

impl Store {
    /// A customer's disputes, newest first.
    pub async fn disputes_of(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<DisputeRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM disputes WHERE company_id = $1 AND customer_id = $2 \
             ORDER BY dispute_id DESC"
        );
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(company).bind(customer).fetch_all(pool).await?;
            rows.iter().map(record).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// One dispute.
    pub async fn dispute(&self, dispute_id: i64) -> Result<Option<DisputeRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM disputes WHERE dispute_id = $1");
        Ok(on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(dispute_id).fetch_optional(pool).await?;
            row.as_ref().map(record).transpose()?
        }))
    }

    /// The disputes open on `as_of` in one company or all: recorded on or before it and not
    /// closed by then, so that the aging of a past date excludes what it excluded that day.
    pub async fn open_disputes(
        &self,
        scope: Scope<'_>,
        as_of: NaiveDate,
    ) -> Result<Vec<(String, String, OpenDispute)>, StoreError> {
        let sql = format!(
            "SELECT company_id, customer_id, tran_id, amount, reason_code, severity, \
             exclude_from_aging FROM disputes WHERE {} AND entered_on <= $3 \
             AND (closed_on IS NULL OR closed_on > $3) ORDER BY dispute_id",
            scoped("", scope)
        );
        Ok(on_pool!(self, pool => {
            let rows: Vec<(String, String, String, i64, String, i64, bool)> = sqlx::query_as(&sql)
                .bind(scope.company)
                .bind(scope.customer)
                .bind(as_of)
                .fetch_all(pool)
                .await?;
            rows.into_iter()
                .map(|(company, customer, tran_id, amount, reason_code, severity, excluded)| {
                    (company, customer, OpenDispute {
                        tran_id,
                        amount: Money::from_raw(amount),
                        reason_code,
                        severity,
                        excluded,
                    })
                })
                .collect()
        }))
    }

    /// How many disputes each customer has had, open or closed.
    pub async fn dispute_counts(
        &self,
        scope: Scope<'_>,
    ) -> Result<HashMap<(String, String), i64>, StoreError> {
        let sql = format!(
            "SELECT company_id, customer_id, COUNT(*) FROM disputes WHERE {} \
             GROUP BY company_id, customer_id",
            scoped("", scope)
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(scope.company).bind(scope.customer).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(a, b, n)| ((a, b), n)).collect())
    }

    /// The amount already in dispute on an invoice (open disputes).
    pub async fn disputed_amount(&self, company: &str, tran_id: &str) -> Result<Money, StoreError> {
        const SQL: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM disputes \
             WHERE company_id = $1 AND tran_id = $2 AND is_open = $3";
        let raw: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(company).bind(tran_id).bind(true).fetch_one(pool).await?
        });
        Ok(Money::from_raw(raw))
    }

    /// Opens a dispute, with its event, and the issue `work` opens for it when it is not
    /// opened from an activity; all in one transaction. Its id, and what `work` logged.
    pub async fn open_dispute(
        &self,
        d: &NewDispute,
        work: Option<&NewCommunication>,
        actor: Actor<'_>,
    ) -> Result<Result<(i64, Option<Logged>), Refused>, StoreError> {
        const SQL: &str = "INSERT INTO disputes (company_id, customer_id, tran_id, amount, \
             dispute_date, reason_code, severity, exclude_from_aging, note, activity_id, issue_id, \
             is_open, entered_on, entered_at, entered_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1) \
             RETURNING dispute_id";
        let mut tx = self.begin().await?;
        let logged = match work {
            Some(c) => match tx.communicate(c, actor).await? {
                Ok(logged) => Some(logged),
                Err(refused) => return Ok(Err(refused)),
            },
            None => None,
        };
        let activity_id = logged.map(|l| l.activity_id).or(d.activity_id);
        let issue_id = logged.map(|l| l.issue_id);
        let id: i64 = on_tx!(&mut tx, t => {
            sqlx::query_scalar(SQL)
                .bind(&d.company_id)
                .bind(&d.customer_id)
                .bind(&d.tran_id)
                .bind(d.amount.raw())
                .bind(d.dispute_date)
                .bind(&d.reason_code)
                .bind(d.severity)
                .bind(d.exclude_from_aging)
                .bind(&d.note)
                .bind(activity_id)
                .bind(issue_id)
                .bind(true)
                .bind(actor.business_date)
                .bind(actor.at)
                .bind(actor.user_id)
                .fetch_one(&mut **t)
                .await?
        });
        let after = DisputeRecord {
            dispute_id: id,
            company_id: d.company_id.clone(),
            customer_id: d.customer_id.clone(),
            tran_id: d.tran_id.clone(),
            amount: d.amount,
            dispute_date: d.dispute_date,
            reason_code: d.reason_code.clone(),
            severity: d.severity,
            exclude_from_aging: d.exclude_from_aging,
            note: d.note.clone(),
            activity_id,
            issue_id,
            is_open: true,
            entered_on: actor.business_date,
            entered_at: actor.at,
            entered_by: actor.user_id.to_owned(),
            closed_date: None,
            closed_on: None,
            closed_by: None,
            resolution: None,
            version: 1,
        };
        tx.log_change(actor, "open", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(Ok((id, logged)))
    }

    /// Closes an open dispute still at `version` with a resolution and date.
    pub async fn close_dispute(
        &self,
        dispute_id: i64,
        version: i64,
        resolution: &str,
        closed_date: NaiveDate,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        const SQL: &str = "UPDATE disputes SET is_open = $1, closed_date = $2, closed_on = $3, \
             closed_by = $4, resolution = $5, version = version + 1 \
             WHERE dispute_id = $6 AND version = $7 AND is_open = $8";
        let Some(before) = self.dispute(dispute_id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        if before.version != version {
            return Ok(Err(Refused::Conflict(before.version)));
        }
        if !before.is_open {
            return Ok(Err(Refused::Closed));
        }
        let mut tx = self.begin().await?;
        let changed = on_tx!(&mut tx, t => {
            sqlx::query(SQL)
                .bind(false)
                .bind(closed_date)
                .bind(actor.business_date)
                .bind(actor.user_id)
                .bind(resolution)
                .bind(dispute_id)
                .bind(version)
                .bind(true)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        if changed != 1 {
            return Ok(Err(Refused::Conflict(version + 1)));
        }
        let after = DisputeRecord {
            is_open: false,
            closed_date: Some(closed_date),
            closed_on: Some(actor.business_date),
            closed_by: Some(actor.user_id.to_owned()),
            resolution: Some(resolution.to_owned()),
            version: version + 1,
            ..before.clone()
        };
        tx.log_change(actor, "close", Some(&before), Some(&after))
            .await?;
        if let Some(issue_id) = before.issue_id {
            tx.resolve_if_open(issue_id, resolution, actor).await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }
}
