//! One sync's transaction: batched upserts that are all kept or all lost.

use chrono::NaiveDate;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::{Change, Record, Store, StoreError, postgres, sqlite};

/// An open transaction on either backend.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Expands `$body` once per backend's transaction.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite($conn) => $body,
            $crate::Tx::Postgres($conn) => $body,
        }
    };
}

pub(crate) use on_tx;

impl Store {
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Begins a sync's transaction: on SQLite with the write lock taken at once, so that what
    /// the sync reads first is what it writes over.
    pub async fn begin_sync(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Tx {
    /// Inserts the new rows and updates the others.
    pub async fn upsert<R: Record>(&mut self, rows: &[Change<R>]) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => sqlite::with_handle(tx, |conn| sqlite::upsert(conn, rows)).await,
            Tx::Postgres(tx) => postgres::write(tx, rows).await,
        }
    }

    /// Sets the closing date of invoices whose content did not change.
    pub async fn set_closing_dates(
        &mut self,
        dates: &[(String, String, Option<NaiveDate>)],
    ) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE invoices SET closing_date = $1 WHERE company_id = $2 AND tran_id = $3";
        for (company, tran, date) in dates {
            match self {
                // SQLite keeps the invoices' dates as day numbers (see `Param::Day`).
                Tx::Sqlite(tx) => {
                    let day = date.map(crate::rows::day_number);
                    sqlx::query(SQL)
                        .bind(day)
                        .bind(company)
                        .bind(tran)
                        .execute(&mut **tx)
                        .await?;
                }
                Tx::Postgres(tx) => {
                    sqlx::query(SQL)
                        .bind(date)
                        .bind(company)
                        .bind(tran)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Whether the store, as this transaction sees it, holds no customer, and so no book
    /// at all: a sync that finds it so reads nothing stored besides its setup.
    pub async fn holds_no_book(&mut self) -> Result<bool, StoreError> {
        Ok(on_tx!(self, tx => {
            sqlx::query_scalar::<_, bool>(crate::NO_BOOK).fetch_one(&mut **tx).await?
        }))
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, tx => tx.commit().await?);
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        on_tx!(self, tx => tx.rollback().await?);
        Ok(())
    }
}

pub(crate) fn upsert_tail<R: Record>() -> String {
    let key = &R::COLUMNS[..R::KEY_LEN];
    let mut set: Vec<String> = R::COLUMNS[R::KEY_LEN..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    if R::HASH_COLUMN {
        set.push("row_hash = excluded.row_hash".into());
    }
    format!(
        " ON CONFLICT ({}) DO UPDATE SET {}",
        key.join(", "),
        set.join(", ")
    )
}
