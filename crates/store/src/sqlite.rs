//! Bulk writes on SQLite straight through the connection's own handle.
//!
//! The driver turns every bound value into an owned argument and hands the statement to its
//! worker thread; for the millions of rows of a sync that costs more than SQLite's own work.
//! Here one prepared single-row statement is bound straight from the rows instead, on the
//! same connection and so inside the same transaction.

use rusqlite::types::Null;
use sqlx::sqlite::SqliteConnection;

use crate::rows::{day_number, iso, target};
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
                Param::Day(Some(d)) => statement.raw_bind_parameter(at, day_number(d))?,
                Param::Text(None) | Param::Int(None) | Param::Date(None) | Param::Day(None) => {
                    statement.raw_bind_parameter(at, Null)?
                }
            }
        }
        if R::HASH_COLUMN {
            statement.raw_bind_parameter(params.len() + 1, change.hash)?;
        }
        statement.raw_execute()?;
    }
    Ok(())
}

/// `INSERT` of one row of `R`, followed by `tail`.
fn insert_sql<R: Record>(tail: &str) -> String {
    let n = R::COLUMNS.len() + usize::from(R::HASH_COLUMN);
    let values: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {} VALUES ({}){tail}",
        target::<R>(),
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    /// A store of the first three schema versions, with a row in each table 0004 rebuilds.
    fn store_at_version_3() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for sql in [
            include_str!("../migrations/sqlite/0001_book.sql"),
            include_str!("../migrations/sqlite/0002_item_pages.sql"),
            include_str!("../migrations/sqlite/0003_key_pages.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO invoices (company_id, tran_id, customer_id, tran_type, tran_date, \
                 due_date, amount, balance, currency, amount_hc, balance_hc, comment, \
                 closing_date, row_hash) \
             VALUES ('US01', 'I1', 'C1', 'IN', '2015-01-01', '2015-03-02', 1000000, 0, \
                 'USD', 1000000, 0, 'paid late', '2015-03-15', 7); \
             INSERT INTO payments (company_id, payment_id, customer_id, payment_date, amount, \
                 currency, amount_hc, row_hash) \
             VALUES ('US01', 'P1', 'C1', '2015-03-15', 1000000, 'USD', 1000000, 8); \
             INSERT INTO payment_applications (company_id, payment_id, tran_id, amount, \
                 effective_date, row_hash) \
             VALUES ('US01', 'P1', 'I1', 1000000, '2015-03-15', 9);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn clustered_rows_migration_keeps_every_row_and_index() {
        let conn = store_at_version_3();
        conn.execute_batch(include_str!("../migrations/sqlite/0004_storage.sql"))
            .unwrap();
        let invoice: (String, String, i64, String) = conn
            .query_row(
                "SELECT customer_id, comment, amount, closing_date FROM invoices \
                 WHERE company_id = 'US01' AND tran_id = 'I1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            invoice,
            (
                "C1".into(),
                "paid late".into(),
                1_000_000,
                "2015-03-15".into()
            )
        );
        for (table, hash) in [("payments", 8), ("payment_applications", 9)] {
            let stored: i64 = conn
                .query_row(&format!("SELECT row_hash FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(stored, hash, "{table}");
            assert!(conn.prepare(&format!("SELECT rowid FROM {table}")).is_err());
        }
        let indexes: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' \
                 AND name IN ('invoices_by_customer', 'applications_by_invoice')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2);
    }

    #[test]
    fn invoices_keep_every_value_once_narrowed() {
        let conn = store_at_version_3();
        for sql in [
            include_str!("../migrations/sqlite/0004_storage.sql"),
            include_str!("../migrations/sqlite/0005_setup.sql"),
            include_str!("../migrations/sqlite/0006_work.sql"),
            include_str!("../migrations/sqlite/0007_access.sql"),
            include_str!("../migrations/sqlite/0008_desk.sql"),
            include_str!("../migrations/sqlite/0009_queues.sql"),
            include_str!("../migrations/sqlite/0010_workflow.sql"),
            include_str!("../migrations/sqlite/0011_promises.sql"),
            include_str!("../migrations/sqlite/0012_payment_plans.sql"),
            include_str!("../migrations/sqlite/0013_credit_scores.sql"),
            include_str!("../migrations/sqlite/0014_versions.sql"),
            include_str!("../migrations/sqlite/0015_assignments.sql"),
            include_str!("../migrations/sqlite/0016_followup_index.sql"),
            include_str!("../migrations/sqlite/0017_line_memory.sql"),
            include_str!("../migrations/sqlite/0018_no_invoices_by_customer.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        // A second invoice, open and without a due date.
        conn.execute_batch(
            "INSERT INTO invoices (company_id, tran_id, customer_id, tran_type, tran_date, \
                 amount, balance, currency, amount_hc, balance_hc, row_hash) \
             VALUES ('US01', 'I2', 'C1', 'DM', '2024-02-29', 5000, 5000, 'USD', 5000, 5000, 3); \
             INSERT INTO invoice_versions (company_id, tran_id, valid_to, absent, customer_id, \
                 tran_type, tran_date, due_date, amount, balance, amount_hc, balance_hc) \
             VALUES ('US01', 'I1', '2015-03-10', 0, 'C1', 'IN', '2015-01-01', '2015-03-02', \
                 1000000, 1000000, 1000000, 1000000);",
        )
        .unwrap();
        // Every value, the dates as text whichever way they are kept.
        let rows = |conn: &rusqlite::Connection, date: &str| -> Vec<Vec<String>> {
            let day = |c: &str| format!("CAST({} AS TEXT)", date.replace('?', c));
            let sql = format!(
                "SELECT company_id, tran_id, customer_id, tran_type, {}, {}, \
                 CAST(amount AS TEXT), CAST(balance AS TEXT), currency, \
                 CAST(amount_hc AS TEXT), CAST(balance_hc AS TEXT), comment, {} \
                 FROM invoices ORDER BY tran_id",
                day("tran_date"),
                day("due_date"),
                day("closing_date")
            );
            let mut statement = conn.prepare(&sql).unwrap();
            statement
                .query_map([], |r| {
                    (0..13)
                        .map(|i| Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()))
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let before = rows(&conn, "?");
        assert_eq!(before.len(), 2);
        conn.execute_batch(include_str!(
            "../migrations/sqlite/0019_narrow_invoices.sql"
        ))
        .unwrap();
        assert_eq!(rows(&conn, "date(? + 1721424.5)"), before);
        // Kept as day numbers: 2015-01-01 is day 735,599 (as chrono counts it).
        let day: i64 = conn
            .query_row(
                "SELECT tran_date FROM invoices WHERE tran_id = 'I1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let first = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        assert_eq!(day, crate::rows::day_number(first));
        assert!(conn.prepare("SELECT row_hash FROM invoices").is_err());
        // Their versions too.
        let version: (String, String, Option<String>, i64) = conn
            .query_row(
                "SELECT date(tran_date + 1721424.5), date(due_date + 1721424.5), \
                 date(closing_date + 1721424.5), balance FROM invoice_versions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            version,
            ("2015-01-01".into(), "2015-03-02".into(), None, 1_000_000)
        );
        // The other tables of a sync keep their hashes.
        let kept: i64 = conn
            .query_row("SELECT row_hash FROM payments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 8);
    }
}
