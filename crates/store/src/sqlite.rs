//! Bulk writes on SQLite straight through the connection's own handle.
//!
//! The driver turns every bound value into an owned argument and hands the statement to its
//! worker thread; for the millions of rows of a sync that costs more than SQLite's own work.
//! Here one prepared single-row statement is bound straight from the rows instead, on the
//! same connection and so inside the same transaction.

use chrono::{Datelike, NaiveDate};
use rusqlite::types::Null;
use sqlx::sqlite::SqliteConnection;

use crate::{Change, Param, Record, StoreError};

/// Runs `f` with the connection's handle locked away from the driver.
pub(crate) async fn with_handle<T>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let mut locked = conn.lock_handle().await?;
    // SAFETY: the handle stays locked, so the driver does not touch it while `raw` lives;
    // `from_handle` neither closes it nor outlives this call.
    let raw = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }?;
    let out = f(&raw);
    drop(raw);
    Ok(out?)
}

/// Inserts the new rows and updates the others, a prepared statement for each kind.
pub(crate) fn upsert<R: Record>(
    conn: &rusqlite::Connection,
    rows: &[Change<R>],
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare(&insert_sql::<R>(""))?;
    let mut update = conn.prepare(&insert_sql::<R>(&crate::tx::upsert_tail::<R>()))?;
    let mut day = [0u8; 10];
    for change in rows {
        let statement = if change.new { &mut insert } else { &mut update };
        let params = change.row.params();
        for (i, param) in params.iter().enumerate() {
            let at = i + 1;
            match *param {
                Param::Text(Some(t)) => statement.raw_bind_parameter(at, t)?,
                Param::Int(Some(n)) => statement.raw_bind_parameter(at, n)?,
                Param::Bool(b) => statement.raw_bind_parameter(at, b)?,
                Param::Date(Some(d)) => statement.raw_bind_parameter(at, iso(d, &mut day))?,
                Param::Text(None) | Param::Int(None) | Param::Date(None) => {
                    statement.raw_bind_parameter(at, Null)?
                }
            }
        }
        statement.raw_bind_parameter(params.len() + 1, change.hash)?;
        statement.raw_execute()?;
    }
    Ok(())
}

/// `INSERT` of one row of `R`, followed by `tail`.
fn insert_sql<R: Record>(tail: &str) -> String {
    let n = R::COLUMNS.len() + 1;
    let values: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {} ({}, row_hash) VALUES ({}){tail}",
        R::TABLE,
        R::COLUMNS.join(", "),
        values.join(", "),
    )
}

/// A date as SQLite keeps it, `YYYY-MM-DD`, written into `out` (years are 0 to 9999).
pub(crate) fn iso(date: NaiveDate, out: &mut [u8; 10]) -> &str {
    let (y, m, d) = (date.year().clamp(0, 9999) as u32, date.month(), date.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        10,
        m / 10,
        m % 10,
        10,
        d / 10,
        d % 10,
    ];
    for (slot, digit) in out.iter_mut().zip(digits) {
        *slot = if digit == 10 {
            b'-'
        } else {
            b'0' + digit as u8
        };
    }
    std::str::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_as_iso() {
        let mut buf = [0u8; 10];
        for (y, m, d, text) in [
            (2015, 3, 2, "2015-03-02"),
            (1, 12, 31, "0001-12-31"),
            (9999, 1, 1, "9999-01-01"),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso(date, &mut buf), text);
        }
    }
}
