//! What the store already holds of a keyed table: each key's content hash and one date.

use foldhash::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// Separates the parts of a composite key.
pub const KEY_SEP: char = '\u{1f}';

/// One stored row as a sync sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyState {
    pub hash: i64,
    /// `closing_date` of an invoice, `payment_date` of a payment, effective date of an application.
    pub date: Option<NaiveDate>,
}

/// Stored keys of one table, joined with [`KEY_SEP`].
pub type Keys = HashMap<String, KeyState>;

/// Joins the parts of a composite key.
pub fn key(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(KEY_SEP);
        }
        key.push_str(part);
    }
    key
}

impl Store {
    /// Every key of `table` with its hash, and its date column when it has one.
    pub async fn keys(&self, table: &str) -> Result<Keys, StoreError> {
        let (columns, date) = match table {
            "companies" => ("company_id", "NULL"),
            "users" => ("user_id", "NULL"),
            "customers" => ("company_id, customer_id", "NULL"),
            "contacts" => ("company_id, customer_id, contact_id", "NULL"),
            "invoices" => ("company_id, tran_id", "closing_date"),
            "payments" => ("company_id, payment_id", "payment_date"),
            "payment_applications" => ("company_id, payment_id, tran_id", "effective_date"),
            other => return Err(StoreError::Corrupt(format!("no keyed table {other}"))),
        };
        let width = columns.split(',').count();
        let sql = format!("SELECT {columns}, row_hash, {date} FROM {table}");
        let mut keys = Keys::default();
        on_pool!(self, pool => {
            let mut rows = sqlx::query(&sql).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let parts: Vec<&str> = (0..width).map(|i| row.try_get(i)).collect::<Result<_, _>>()?;
                let state = KeyState { hash: row.try_get(width)?, date: row.try_get(width + 1)? };
                keys.insert(key(&parts), state);
            }
        });
        Ok(keys)
    }
}

impl Store {
    /// The currency of every customer that names one, by customer key.
    pub async fn customer_currencies(&self) -> Result<HashMap<String, String>, StoreError> {
        const SQL: &str =
            "SELECT company_id, customer_id, currency FROM customers WHERE currency IS NOT NULL";
        let mut out = HashMap::default();
        on_pool!(self, pool => {
            let mut rows = sqlx::query(SQL).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let (company, customer): (&str, &str) = (row.try_get(0)?, row.try_get(1)?);
                out.insert(key(&[company, customer]), row.try_get(2)?);
            }
        });
        Ok(out)
    }
}
