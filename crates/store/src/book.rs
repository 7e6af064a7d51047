//! Reading the book back for the aging and the figures.

use std::collections::HashMap;

use arrears_domain::filter::CUSTOMER_TEXTS;
use arrears_domain::{InvoiceStats, Money};
use chrono::NaiveDate;
use sqlx::Row;

use crate::bulk::{Scope, Viewer, scoped, seen_by};
use crate::{CustomerRow, InvoiceRow, Record, Store, StoreError, on_pool};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyRecord {
    pub company_id: String,
    pub name: String,
    pub home_currency: String,
    pub default_credit_class: Option<String>,
}

/// What the aging shows of a customer beside its figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRecord {
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub customer_class: Option<String>,
    pub credit_class: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub credit_limit: Option<Money>,
    pub credit_hold: bool,
    pub assigned_user: Option<String>,
}

const CUSTOMERS: &str = "SELECT company_id, customer_id, name, parent_id, customer_class, credit_class, status, \
     currency, credit_limit, credit_hold, assigned_user FROM customers \
     WHERE ($1 IS NULL OR company_id = $1) ORDER BY company_id, customer_id";

impl Store {
    pub async fn companies(&self) -> Result<Vec<CompanyRecord>, StoreError> {
        const SQL: &str = "SELECT company_id, name, home_currency, default_credit_class FROM companies ORDER BY company_id";
        on_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(CompanyRecord { company_id: r.try_get(0)?, name: r.try_get(1)?, home_currency: r.try_get(2)?, default_credit_class: r.try_get(3)? }))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// Customers of one company, or of all, ordered by company and id.
    pub async fn customers(
        &self,
        company: Option<&str>,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(CUSTOMERS).bind(company).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(CustomerRecord {
                    company_id: r.try_get(0)?,
                    customer_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    parent_id: r.try_get(3)?,
                    customer_class: r.try_get(4)?,
                    credit_class: r.try_get(5)?,
                    status: r.try_get(6)?,
                    currency: r.try_get(7)?,
                    credit_limit: r.try_get::<Option<i64>, _>(8)?.map(Money::from_raw),
                    credit_hold: r.try_get(9)?,
                    assigned_user: r.try_get(10)?,
                }))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// How many customers each user is assigned (the unassigned pool under `None`).
    pub async fn assigned_counts(&self) -> Result<HashMap<Option<String>, i64>, StoreError> {
        const SQL: &str = "SELECT assigned_user, COUNT(*) FROM customers GROUP BY assigned_user";
        let rows: Vec<(Option<String>, i64)> =
            on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    /// How many customers each company has.
    pub async fn customer_counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        const SQL: &str = "SELECT company_id, COUNT(*) FROM customers GROUP BY company_id";
        let rows: Vec<(String, i64)> =
            on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    /// Every column of the customers in scope that `viewer` sees (all when none), ordered by
    /// company and id.
    pub async fn customer_rows(
        &self,
        scope: Scope<'_>,
        viewer: Option<Viewer<'_>>,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        self.customer_rows_reading(scope, viewer, &[true; CUSTOMER_TEXTS.len()])
            .await
    }

    /// The customers as [`Store::customer_rows`] gives them, with only the text columns
    /// marked in `texts` (of [`CUSTOMER_TEXTS`]) read; the others are left empty.
    pub async fn customer_rows_reading(
        &self,
        scope: Scope<'_>,
        viewer: Option<Viewer<'_>>,
        texts: &[bool; CUSTOMER_TEXTS.len()],
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let condition = format!("{} AND {}", scoped("", scope), seen_by("", viewer));
        let columns: Vec<&str> = CustomerRow::COLUMNS
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let text = i.checked_sub(CustomerRow::TEXTS.start);
                match text.and_then(|t| texts.get(t)) {
                    Some(false) => "CAST(NULL AS TEXT)",
                    _ => column,
                }
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM customers WHERE {condition} ORDER BY company_id, customer_id",
            columns.join(", "),
        );
        let params = [scope.company, scope.customer, viewer.map(|v| v.user_id)];
        let n = CustomerRow::COLUMNS.len();
        let count = self
            .read_rows_with(
                &format!("SELECT COUNT(*) FROM customers WHERE {condition}"),
                &params,
                1,
                |r| r.required_int(0),
            )
            .await?;
        let capacity = count
            .first()
            .and_then(|c| usize::try_from(*c).ok())
            .unwrap_or(0);
        self.read_rows_with(&sql, &params, capacity, |r| {
            let mut texts: [Option<String>; CUSTOMER_TEXTS.len()] = Default::default();
            for (i, slot) in texts.iter_mut().enumerate() {
                *slot = r.text(3 + i)?;
            }
            Ok(CustomerRow {
                company_id: r.required_text(0)?,
                customer_id: r.required_text(1)?,
                name: r.required_text(2)?,
                texts,
                credit_limit: r.int(n - 4)?.map(Money::from_raw),
                credit_hold: r.flag(n - 3)?,
                date_established: r.date(n - 2)?,
                days_to_respond: r.int(n - 1)?,
            })
        })
        .await
    }

    /// Whether `viewer` sees the customer (it exists and is in their scope).
    pub async fn sees(
        &self,
        viewer: Viewer<'_>,
        company: &str,
        customer: &str,
    ) -> Result<bool, StoreError> {
        let scope = Scope::customer(company, customer);
        let sql = format!(
            "SELECT COUNT(*) FROM customers WHERE {} AND {}",
            scoped("", scope),
            seen_by("", Some(viewer))
        );
        let n = self
            .read_rows_with(
                &sql,
                &[Some(company), Some(customer), Some(viewer.user_id)],
                1,
                |r| r.required_int(0),
            )
            .await?;
        Ok(n.first().copied().unwrap_or(0) > 0)
    }

    /// The text columns (`payment_terms` … `udf5`) of the open items in scope.
    pub async fn open_invoice_texts(
        &self,
        scope: Scope<'_>,
    ) -> Result<HashMap<(String, String), [Option<String>; 10]>, StoreError> {
        let sql = format!(
            "SELECT company_id, tran_id, {} FROM invoices WHERE balance <> 0 AND {}",
            InvoiceRow::COLUMNS[11..21].join(", "),
            scoped("", scope)
        );
        let rows = self
            .read_rows(&sql, scope, 0, |r| {
                let mut texts: [Option<String>; 10] = Default::default();
                for (i, slot) in texts.iter_mut().enumerate() {
                    *slot = r.text(2 + i)?;
                }
                Ok(((r.required_text(0)?, r.required_text(1)?), texts))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// What the payments applied to each invoice in `scope` and the communications tagged to
    /// it (completed activities) say of it as of `as_of`: only invoices with either.
    pub async fn invoice_stats(
        &self,
        scope: Scope<'_>,
        as_of: NaiveDate,
    ) -> Result<HashMap<(String, String), InvoiceStats>, StoreError> {
        let payments_sql = format!(
            "SELECT a.company_id, a.tran_id, MAX(a.effective_date), COUNT(*) \
             FROM payment_applications a \
             JOIN invoices i ON i.company_id = a.company_id AND i.tran_id = a.tran_id \
             WHERE {} AND a.effective_date <= $3 GROUP BY a.company_id, a.tran_id",
            scoped("i.", scope)
        );
        let talks_sql = format!(
            "SELECT t.company_id, t.tran_id, MIN(a.completed_date), MAX(a.completed_date) \
             FROM activity_invoices t JOIN activities a ON a.activity_id = t.activity_id \
             WHERE {} AND a.completed_date IS NOT NULL AND a.completed_date <= $3 \
             GROUP BY t.company_id, t.tran_id",
            scoped("a.", scope)
        );
        type Dated = Vec<(String, String, Option<NaiveDate>, i64)>;
        type Talks = Vec<(String, String, Option<NaiveDate>, Option<NaiveDate>)>;
        let (payments, talks): (Dated, Talks) = on_pool!(self, pool => {
            let payments = sqlx::query_as(&payments_sql)
                .bind(scope.company).bind(scope.customer).bind(as_of)
                .fetch_all(pool).await?;
            let talks = sqlx::query_as(&talks_sql)
                .bind(scope.company).bind(scope.customer).bind(as_of)
                .fetch_all(pool).await?;
            (payments, talks)
        });
        let mut out: HashMap<(String, String), InvoiceStats> = HashMap::new();
        for (company, tran_id, last, count) in payments {
            let s = out.entry((company, tran_id)).or_default();
            s.last_pmt_date = last;
            s.pmt_count = count;
        }
        for (company, tran_id, first, last) in talks {
            let s = out.entry((company, tran_id)).or_default();
            s.first_com = first;
            s.last_com = last;
        }
        Ok(out)
    }

    /// The active users of a role, by id.
    pub async fn active_users(&self, role: &str) -> Result<Vec<String>, StoreError> {
        const SQL: &str =
            "SELECT user_id FROM users WHERE role = $1 AND active = $2 ORDER BY user_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(role).bind(true).fetch_all(pool).await?
        }))
    }
}
