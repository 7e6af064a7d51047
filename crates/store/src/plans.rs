//! Payment plans as stored: made on an invoice by an admin with their instalments, in force
//! from the business date they were made on until the one they were cancelled on; each change
//! logged.

use std::collections::HashMap;

use arrears_domain::Money;
use arrears_domain::plans::{Instalment, Plan};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::bulk::{Scope, scoped};
use crate::tx::on_tx;
use crate::workflow::{Actor, Entity, Refused};
use crate::{Store, StoreError, Tx, on_pool};

/// One instalment of a plan, as stored: in the invoice's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InstalmentRecord {
    pub due_date: NaiveDate,
    pub amount: Money,
}

/// One payment plan, as stored, with its instalments by due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanRecord {
    pub plan_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub tran_id: String,
    pub currency: String,
    /// The invoice's balance when the plan was made: what the instalments add up to.
    pub total: Money,
    pub orig_due_date: Option<NaiveDate>,
    pub orig_amount: Money,
    pub orig_amount_hc: Money,
    pub note: Option<String>,
    pub is_active: bool,
    pub made_on: NaiveDate,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
    pub cancelled_on: Option<NaiveDate>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<String>,
    pub version: i64,
    pub instalments: Vec<InstalmentRecord>,
}

impl Entity for PlanRecord {
    const NAME: &'static str = "payment_plan";
    fn key(&self) -> (&str, &str, i64) {
        (&self.company_id, &self.customer_id, self.plan_id)
    }
}

const COLUMNS: &str = "plan_id, company_id, customer_id, tran_id, currency, total, \
     orig_due_date, orig_amount, orig_amount_hc, note, is_active, made_on, made_at, made_by, \
     cancelled_on, cancelled_at, cancelled_by, version";

fn record<R: Row>(r: &R) -> Result<PlanRecord, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> bool: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> NaiveDate: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
    for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PlanRecord {
        plan_id: r.try_get("plan_id")?,
        company_id: r.try_get("company_id")?,
        customer_id: r.try_get("customer_id")?,
        tran_id: r.try_get("tran_id")?,
        currency: r.try_get("currency")?,
        total: Money::from_raw(r.try_get("total")?),
        orig_due_date: r.try_get("orig_due_date")?,
        orig_amount: Money::from_raw(r.try_get("orig_amount")?),
        orig_amount_hc: Money::from_raw(r.try_get("orig_amount_hc")?),
        note: r.try_get("note")?,
        is_active: r.try_get("is_active")?,
        made_on: r.try_get("made_on")?,
        made_at: r.try_get("made_at")?,
        made_by: r.try_get("made_by")?,
        cancelled_on: r.try_get("cancelled_on")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        version: r.try_get("version")?,
        instalments: Vec::new(),
    })
}

/// A plan to make on an invoice: its instalments add up to the invoice's balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPlan {
    pub company_id: String,
    pub customer_id: String,
    pub tran_id: String,
    pub currency: String,
    pub orig_due_date: Option<NaiveDate>,
    pub orig_amount: Money,
    pub orig_amount_hc: Money,
    pub note: Option<String>,
    /// By due date.
    pub instalments: Vec<Instalment>,
}

/// Which plans a query reads: those in force on a business date.
const IN_FORCE: &str = "p.made_on <= $3 AND (p.cancelled_on IS NULL OR p.cancelled_on > $3)";

impl Tx {
    async fn plan(&mut self, plan_id: i64) -> Result<Option<PlanRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM payment_plans WHERE plan_id = $1");
        const PARTS: &str = "SELECT due_date, amount FROM plan_instalments WHERE plan_id = $1 \
             ORDER BY seq";
        Ok(on_tx!(self, tx => {
            match sqlx::query(&sql).bind(plan_id).fetch_optional(&mut **tx).await? {
                None => None,
                Some(row) => {
                    let mut r = record(&row)?;
                    let parts: Vec<(NaiveDate, i64)> =
                        sqlx::query_as(PARTS).bind(plan_id).fetch_all(&mut **tx).await?;
                    r.instalments = instalments(parts);
                    Some(r)
                }
            }
        }))
    }

    /// The plan in force on an invoice now, if any.
    async fn active_plan_on(
        &mut self,
        company: &str,
        tran_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        const SQL: &str = "SELECT plan_id FROM payment_plans WHERE company_id = $1 \
             AND tran_id = $2 AND is_active = $3";
        Ok(on_tx!(self, tx => {
            sqlx::query_scalar(SQL)
                .bind(company)
                .bind(tran_id)
                .bind(true)
                .fetch_optional(&mut **tx)
                .await?
        }))
    }
}

fn instalments(rows: Vec<(NaiveDate, i64)>) -> Vec<InstalmentRecord> {
    rows.into_iter()
        .map(|(due_date, amount)| InstalmentRecord {
            due_date,
            amount: Money::from_raw(amount),
        })
        .collect()
}

impl Store {
    /// A customer's plans, newest first, with their instalments; of one invoice when
    /// `tran_id` is given.
    pub async fn plans_of(
        &self,
        company: &str,
        customer: &str,
        tran_id: Option<&str>,
    ) -> Result<Vec<PlanRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM payment_plans p WHERE company_id = $1 AND customer_id = $2 \
             AND ($3 IS NULL OR tran_id = $3) ORDER BY plan_id DESC"
        );
        const PARTS: &str = "SELECT i.plan_id, i.due_date, i.amount FROM plan_instalments i \
             JOIN payment_plans p ON p.plan_id = i.plan_id \
             WHERE p.company_id = $1 AND p.customer_id = $2 AND ($3 IS NULL OR p.tran_id = $3) \
             ORDER BY i.plan_id, i.seq";
        let (mut plans, parts): (Vec<PlanRecord>, Vec<(i64, NaiveDate, i64)>) = on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(company).bind(customer).bind(tran_id)
                .fetch_all(pool).await?;
            let plans = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            let parts = sqlx::query_as(PARTS).bind(company).bind(customer).bind(tran_id)
                .fetch_all(pool).await?;
            (plans, parts)
        });
        let mut by_plan: HashMap<i64, Vec<(NaiveDate, i64)>> = HashMap::new();
        for (plan_id, due, amount) in parts {
            by_plan.entry(plan_id).or_default().push((due, amount));
        }
        for p in &mut plans {
            p.instalments = instalments(by_plan.remove(&p.plan_id).unwrap_or_default());
        }
        Ok(plans)
    }

    /// One plan, with its instalments.
    pub async fn plan(&self, plan_id: i64) -> Result<Option<PlanRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let found = tx.plan(plan_id).await?;
        tx.rollback().await?;
        Ok(found)
    }

    /// The plans in force on `as_of` in `scope`, as the aging applies them: with their
    /// instalments and the applications to their invoices dated from the day each was made.
    pub async fn plans_in_force(
        &self,
        scope: Scope<'_>,
        as_of: NaiveDate,
    ) -> Result<Vec<(String, String, Plan)>, StoreError> {
        let plans_sql = format!(
            "SELECT p.plan_id, p.company_id, p.customer_id, p.tran_id, p.made_on \
             FROM payment_plans p WHERE {} AND {IN_FORCE} ORDER BY p.plan_id",
            scoped("p.", scope)
        );
        let parts_sql = format!(
            "SELECT i.plan_id, i.due_date, i.amount FROM plan_instalments i \
             JOIN payment_plans p ON p.plan_id = i.plan_id WHERE {} AND {IN_FORCE} \
             ORDER BY i.plan_id, i.seq",
            scoped("p.", scope)
        );
        let receipts_sql = format!(
            "SELECT p.plan_id, a.effective_date, a.amount FROM payment_plans p \
             JOIN payment_applications a ON a.company_id = p.company_id AND a.tran_id = p.tran_id \
             WHERE {} AND {IN_FORCE} AND a.effective_date >= p.made_on \
             ORDER BY p.plan_id, a.effective_date, a.payment_id",
            scoped("p.", scope)
        );
        type Read = (
            Vec<(i64, String, String, String, NaiveDate)>,
            Vec<(i64, NaiveDate, i64)>,
            Vec<(i64, NaiveDate, i64)>,
        );
        let (plans, parts, receipts): Read = on_pool!(self, pool => {
            let plans: Vec<(i64, String, String, String, NaiveDate)> = sqlx::query_as(&plans_sql)
                .bind(scope.company).bind(scope.customer).bind(as_of)
                .fetch_all(pool).await?;
            if plans.is_empty() {
                (plans, Vec::new(), Vec::new())
            } else {
                let parts = sqlx::query_as(&parts_sql)
                    .bind(scope.company).bind(scope.customer).bind(as_of)
                    .fetch_all(pool).await?;
                let receipts = sqlx::query_as(&receipts_sql)
                    .bind(scope.company).bind(scope.customer).bind(as_of)
                    .fetch_all(pool).await?;
                (plans, parts, receipts)
            }
        });
        let mut instalments: HashMap<i64, Vec<Instalment>> = HashMap::new();
        for (plan_id, due_date, amount) in parts {
            instalments.entry(plan_id).or_default().push(Instalment {
                due_date,
                amount: Money::from_raw(amount),
            });
        }
        let mut paid: HashMap<i64, Vec<(NaiveDate, Money)>> = HashMap::new();
        for (plan_id, date, amount) in receipts {
            paid.entry(plan_id)
                .or_default()
                .push((date, Money::from_raw(amount)));
        }
        Ok(plans
            .into_iter()
            .map(|(plan_id, company, customer, tran_id, made_on)| {
                let mut instalments = instalments.remove(&plan_id).unwrap_or_default();
                instalments.sort_by_key(|i| i.due_date);
                let plan = Plan {
                    plan_id,
                    tran_id,
                    made_on,
                    instalments,
                    receipts: paid.remove(&plan_id).unwrap_or_default(),
                };
                (company, customer, plan)
            })
            .collect())
    }

    /// Makes a plan on an invoice, in force from `actor.business_date`, with its event; all in
    /// one transaction. Its id, or, when the invoice already has a plan in force, that plan's.
    pub async fn make_plan(
        &self,
        p: &NewPlan,
        actor: Actor<'_>,
    ) -> Result<Result<i64, i64>, StoreError> {
        const SQL: &str = "INSERT INTO payment_plans (company_id, customer_id, tran_id, currency, \
             total, orig_due_date, orig_amount, orig_amount_hc, note, is_active, made_on, \
             made_at, made_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) \
             RETURNING plan_id";
        const PART: &str =
            "INSERT INTO plan_instalments (plan_id, seq, due_date, amount) VALUES ($1, $2, $3, $4)";
        let mut tx = self.begin().await?;
        if let Some(active) = tx.active_plan_on(&p.company_id, &p.tran_id).await? {
            return Ok(Err(active));
        }
        let total: Money = p.instalments.iter().map(|i| i.amount).sum();
        let id: i64 = on_tx!(&mut tx, t => {
            let id: i64 = sqlx::query_scalar(SQL)
                .bind(&p.company_id)
                .bind(&p.customer_id)
                .bind(&p.tran_id)
                .bind(&p.currency)
                .bind(total.raw())
                .bind(p.orig_due_date)
                .bind(p.orig_amount.raw())
                .bind(p.orig_amount_hc.raw())
                .bind(&p.note)
                .bind(true)
                .bind(actor.business_date)
                .bind(actor.at)
                .bind(actor.user_id)
                .fetch_one(&mut **t)
                .await?;
            for (seq, i) in (1i64..).zip(&p.instalments) {
                sqlx::query(PART)
                    .bind(id)
                    .bind(seq)
                    .bind(i.due_date)
                    .bind(i.amount.raw())
                    .execute(&mut **t)
                    .await?;
            }
            id
        });
        let after = tx.plan(id).await?;
        tx.log_change(actor, "make", None, after.as_ref()).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Cancels a plan in force still at `version`: from `actor.business_date` on, the
    /// invoice ages by its original terms again.
    pub async fn cancel_plan(
        &self,
        plan_id: i64,
        version: i64,
        actor: Actor<'_>,
    ) -> Result<Result<(), Refused>, StoreError> {
        const SQL: &str = "UPDATE payment_plans SET is_active = $1, cancelled_on = $2, \
             cancelled_at = $3, cancelled_by = $4, version = version + 1 \
             WHERE plan_id = $5 AND version = $6 AND is_active = $7";
        let mut tx = self.begin().await?;
        let Some(before) = tx.plan(plan_id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        if before.version != version {
            return Ok(Err(Refused::Conflict(before.version)));
        }
        if !before.is_active {
            return Ok(Err(Refused::Closed));
        }
        let changed = on_tx!(&mut tx, t => {
            sqlx::query(SQL)
                .bind(false)
                .bind(actor.business_date)
                .bind(actor.at)
                .bind(actor.user_id)
                .bind(plan_id)
                .bind(version)
                .bind(true)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        if changed != 1 {
            return Ok(Err(Refused::Conflict(version + 1)));
        }
        let after = tx.plan(plan_id).await?;
        tx.log_change(actor, "cancel", Some(&before), after.as_ref())
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}
