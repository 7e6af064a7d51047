//! Reading the book back for the aging and the figures.

use arrears_domain::{Item, Money, TranType};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyRecord {
    pub company_id: String,
    pub name: String,
    pub home_currency: String,
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

/// One item of a customer's book, borrowed from the row being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookItem<'r> {
    pub company_id: &'r str,
    pub customer_id: &'r str,
    pub tran_id: &'r str,
    pub currency: &'r str,
    pub item: Item,
}

const CUSTOMERS: &str = "SELECT company_id, customer_id, name, parent_id, customer_class, credit_class, status, \
     currency, credit_limit, credit_hold, assigned_user FROM customers \
     WHERE ($1 IS NULL OR company_id = $1) ORDER BY company_id, customer_id";

const ITEMS: &str = "SELECT company_id, customer_id, tran_id, tran_type, tran_date, due_date, amount, balance, \
     amount_hc, balance_hc, closing_date, currency FROM invoices WHERE ($1 IS NULL OR company_id = $1)";

impl Store {
    pub async fn companies(&self) -> Result<Vec<CompanyRecord>, StoreError> {
        const SQL: &str =
            "SELECT company_id, name, home_currency FROM companies ORDER BY company_id";
        on_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(CompanyRecord { company_id: r.try_get(0)?, name: r.try_get(1)?, home_currency: r.try_get(2)? }))
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

    /// Streams every item of one company, or of all, to `each`.
    pub async fn items(
        &self,
        company: Option<&str>,
        mut each: impl FnMut(BookItem<'_>),
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut rows = sqlx::query(ITEMS).bind(company).fetch(pool);
            while let Some(r) = rows.try_next().await? {
                let code: String = r.try_get(3)?;
                let tran_type: TranType = code.parse().map_err(StoreError::Corrupt)?;
                let money = |i: usize| r.try_get::<i64, _>(i).map(Money::from_raw);
                each(BookItem {
                    company_id: r.try_get(0)?,
                    customer_id: r.try_get(1)?,
                    tran_id: r.try_get(2)?,
                    currency: r.try_get(11)?,
                    item: Item {
                        tran_type,
                        tran_date: r.try_get::<NaiveDate, _>(4)?,
                        due_date: r.try_get(5)?,
                        amount: money(6)?,
                        balance: money(7)?,
                        amount_hc: money(8)?,
                        balance_hc: money(9)?,
                        closing_date: r.try_get(10)?,
                        excluded_hc: Money::ZERO,
                    },
                });
            }
        });
        Ok(())
    }
}
