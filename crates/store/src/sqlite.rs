//! Bulk writes on SQLite straight through the connection's own handle.
//!
//! The driver turns every bound value into an owned argument and hands the statement to its
//! worker thread; for the millions of rows of a sync that costs more than SQLite's own work.
//! Here prepared statements are bound straight from the rows instead, on the same
//! connection and so inside the same transaction.

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

/// New rows go in this many to a statement: SQLite keeps the table's cursor open from one
/// row to the next within a statement, so a key after the last one goes in without a walk
/// down the tree from its root, and the statement's own start and end are paid once. The
/// statement is `INSERT OR FAIL`: under the default `ABORT` a statement of several rows
/// would copy every page it changes into a statement journal first, to undo its earlier
/// rows should a later one fail; a sync that fails is rolled back whole anyway.
const ROWS_PER_INSERT: usize = 32;

/// Inserts the new rows, [`ROWS_PER_INSERT`] to a statement, and updates the others, one
/// at a time.
pub(crate) fn upsert<R: Record>(
    conn: &rusqlite::Connection,
    rows: &[Change<R>],
) -> rusqlite::Result<()> {
    let new: Vec<&Change<R>> = rows.iter().filter(|c| c.new).collect();
    let mut chunks = new.chunks_exact(ROWS_PER_INSERT);
    if chunks.len() > 0 {
        let mut insert = conn.prepare(&insert_sql::<R>(ROWS_PER_INSERT, ""))?;
        for chunk in chunks.by_ref() {
            let mut at = 1;
            for change in chunk {
                at = bind(&mut insert, at, change)?;
            }
            insert.raw_execute()?;
        }
    }
    let left = chunks.remainder();
    if !left.is_empty() {
        let mut insert = conn.prepare(&insert_sql::<R>(1, ""))?;
        for change in left {
            bind(&mut insert, 1, change)?;
            insert.raw_execute()?;
        }
    }
    if rows.len() > new.len() {
        let mut update = conn.prepare(&insert_sql::<R>(1, &crate::tx::upsert_tail::<R>()))?;
        for change in rows.iter().filter(|c| !c.new) {
            bind(&mut update, 1, change)?;
            update.raw_execute()?;
        }
    }
    Ok(())
}

/// Binds `change`'s values from parameter `at` on; the parameter after them.
fn bind<R: Record>(
    statement: &mut rusqlite::Statement<'_>,
    at: usize,
    change: &Change<R>,
) -> rusqlite::Result<usize> {
    let mut at = bind_params(statement, at, change.row.params())?;
    if R::HASH_COLUMN {
        statement.raw_bind_parameter(at, change.hash)?;
        at += 1;
    }
    Ok(at)
}

/// Binds `params` from parameter `at` on; the parameter after them.
fn bind_params<'a>(
    statement: &mut rusqlite::Statement<'_>,
    mut at: usize,
    params: impl IntoIterator<Item = Param<'a>>,
) -> rusqlite::Result<usize> {
    let mut day = [0u8; 10];
    for param in params {
        match param {
            Param::Text(Some(t)) => statement.raw_bind_parameter(at, t)?,
            Param::Int(Some(n)) => statement.raw_bind_parameter(at, n)?,
            Param::Bool(b) => statement.raw_bind_parameter(at, b)?,
            Param::Date(Some(d)) => statement.raw_bind_parameter(at, iso(d, &mut day))?,
            Param::Day(Some(d)) => statement.raw_bind_parameter(at, day_number(d))?,
            Param::Text(None) | Param::Int(None) | Param::Date(None) | Param::Day(None) => {
                statement.raw_bind_parameter(at, Null)?
            }
        }
        at += 1;
    }
    Ok(at)
}

/// `INSERT OR FAIL` of `rows` rows of `R`, followed by `tail`.
fn insert_sql<R: Record>(rows: usize, tail: &str) -> String {
    let n = R::COLUMNS.len() + usize::from(R::HASH_COLUMN);
    format!(
        "INSERT OR FAIL INTO {} VALUES {}{tail}",
        target::<R>(),
        values(rows, n)
    )
}

/// `rows` rows of `n` numbered parameters each: `(?1, ?2), (?3, ?4)`.
fn values(rows: usize, n: usize) -> String {
    let row = |r: usize| {
        let values: Vec<String> = (1..=n).map(|i| format!("?{}", r * n + i)).collect();
        format!("({})", values.join(", "))
    };
    let rows: Vec<String> = (0..rows).map(row).collect();
    rows.join(", ")
}

/// Inserts `rows` (each its values, `N` of them) into `target` ("table (columns)"),
/// [`ROWS_PER_INSERT`] to a statement, leaving out each whose key the table already holds.
/// `OR IGNORE` breaks no row halfway, so SQLite keeps no statement journal for it either.
pub(crate) fn insert_new<const N: usize>(
    conn: &rusqlite::Connection,
    target: &str,
    rows: &[[Param<'_>; N]],
) -> rusqlite::Result<()> {
    let sql = |rows: usize| format!("INSERT OR IGNORE INTO {target} VALUES {}", values(rows, N));
    let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
    if chunks.len() > 0 {
        let mut insert = conn.prepare(&sql(ROWS_PER_INSERT))?;
        for chunk in chunks.by_ref() {
            let mut at = 1;
            for row in chunk {
                at = bind_params(&mut insert, at, row.iter().copied())?;
            }
            insert.raw_execute()?;
        }
    }
    let left = chunks.remainder();
    if !left.is_empty() {
        let mut insert = conn.prepare(&sql(1))?;
        for row in left {
            bind_params(&mut insert, 1, row.iter().copied())?;
            insert.raw_execute()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the store's own SQLite migrations `versions` (as embedded in the binary).
    fn migrate(conn: &rusqlite::Connection, versions: std::ops::RangeInclusive<i64>) {
        for migration in crate::SQLITE.iter() {
            if versions.contains(&migration.version) {
                conn.execute_batch(&migration.sql).unwrap();
            }
        }
    }

    /// A store of the first three schema versions, with a row in each table 0004 rebuilds.
    fn store_at_version_3() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        migrate(&conn, 1..=3);
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

    fn payment(id: usize, amount: i64) -> crate::PaymentRow {
        crate::PaymentRow {
            company_id: "US01".into(),
            payment_id: format!("P{id:03}"),
            customer_id: "C1".into(),
            payment_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            amount: arrears_domain::Money::from_raw(amount),
            currency: "USD".into(),
            amount_hc: arrears_domain::Money::from_raw(amount),
            tender_type: id.is_multiple_of(2).then(|| "Wire".into()),
            reference: None,
            unapplied_amount: None,
            comment: Some(format!("payment {id}")),
        }
    }

    /// New rows go in several to a statement and the rest one at a time; changed rows are
    /// updated in the same call; each row keeps its own values and hash.
    #[test]
    fn rows_written_several_to_a_statement_keep_their_own_values() {
        let conn = store_at_version_3();
        migrate(&conn, 4..=4);
        let n = 2 * ROWS_PER_INSERT + 5;
        let mut rows: Vec<Change<crate::PaymentRow>> = (2..2 + n)
            .map(|id| Change {
                row: payment(id, 100 * id as i64),
                hash: id as i64,
                new: true,
            })
            .collect();
        // The stored P1 (see `store_at_version_3`), changed, among the new rows.
        let mut p1 = payment(1, 4_200);
        p1.payment_id = "P1".into();
        rows.insert(
            ROWS_PER_INSERT - 1,
            Change {
                row: p1,
                hash: 77,
                new: false,
            },
        );
        upsert(&conn, &rows).unwrap();

        // payment_id, amount, tender_type, comment, row_hash
        type Stored = (String, i64, Option<String>, Option<String>, i64);
        let stored: Vec<Stored> = conn
            .prepare(
                "SELECT payment_id, amount, tender_type, comment, row_hash FROM payments \
                 ORDER BY payment_id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored.len(), n + 1);
        assert_eq!(
            stored[0],
            (
                "P002".into(),
                200,
                Some("Wire".into()),
                Some("payment 2".into()),
                2
            )
        );
        let last = 1 + n;
        assert_eq!(
            stored[n - 1],
            (
                format!("P{last:03}"),
                100 * last as i64,
                Some("Wire".into()),
                Some(format!("payment {last}")),
                last as i64
            )
        );
        assert_eq!(
            stored[n],
            ("P1".into(), 4_200, None, Some("payment 1".into()), 77)
        );

        // A new row whose key is stored already fails the statement it is in.
        let again: Vec<Change<crate::PaymentRow>> = std::iter::once(40)
            .chain(100..100 + ROWS_PER_INSERT)
            .map(|id| Change {
                row: payment(id, 1),
                hash: 1,
                new: true,
            })
            .collect();
        let failed = upsert(&conn, &again).unwrap_err();
        assert!(
            failed.to_string().contains("UNIQUE constraint failed"),
            "{failed}"
        );
    }

    /// New keys go in several to a statement and the rest one at a time, each row with its
    /// own values; a key the table holds already, or one met earlier in the same call, keeps
    /// its first row, and the rows after it still go in.
    #[test]
    fn rows_inserted_unless_kept_go_in_whole_and_leave_kept_keys_as_they_were() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE kept (k TEXT PRIMARY KEY, v INTEGER, d INTEGER) WITHOUT ROWID; \
             INSERT INTO kept VALUES ('k003', -1, NULL), ('k070', -2, NULL);",
        )
        .unwrap();
        let keys: Vec<String> = (0..2 * ROWS_PER_INSERT + 5)
            .map(|n| format!("k{n:03}"))
            .chain(["k001".into(), "k068".into()])
            .collect();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let rows: Vec<[Param<'_>; 3]> = (keys.iter().enumerate())
            .map(|(n, k)| {
                let d = n.is_multiple_of(3).then_some(day);
                [
                    Param::Text(Some(k)),
                    Param::Int(Some(n as i64)),
                    Param::Day(d),
                ]
            })
            .collect();
        insert_new(&conn, "kept (k, v, d)", &rows).unwrap();
        let stored: Vec<(String, i64, Option<i64>)> = conn
            .prepare("SELECT k, v, d FROM kept ORDER BY k")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected: Vec<(String, i64, Option<i64>)> = (0..2 * ROWS_PER_INSERT + 5)
            .map(|n| {
                let d = n.is_multiple_of(3).then_some(day_number(day));
                (format!("k{n:03}"), n as i64, d)
            })
            .collect();
        expected[3] = ("k003".into(), -1, None);
        expected.push(("k070".into(), -2, None));
        assert_eq!(stored, expected);
    }

    #[test]
    fn clustered_rows_migration_keeps_every_row_and_index() {
        let conn = store_at_version_3();
        migrate(&conn, 4..=4);
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
        migrate(&conn, 4..=18);
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
        migrate(&conn, 19..=19);
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
