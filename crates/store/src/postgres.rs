//! Bulk writes on PostgreSQL: rows new to the store go in with `COPY`, changed ones with
//! multi-row upserts.

use std::io::Write;

use sqlx::postgres::PgConnection;
use sqlx::{Postgres, QueryBuilder};

use crate::rows::{iso, target};
use crate::{Change, Param, Record, StoreError};

/// Bound parameters per statement, under PostgreSQL's limit.
const MAX_PARAMS: usize = 30_000;

/// Inserts the new rows and updates the others.
pub(crate) async fn write<R: Record>(
    conn: &mut PgConnection,
    rows: &[Change<R>],
) -> Result<(), StoreError> {
    let (new, changed): (Vec<&Change<R>>, Vec<&Change<R>>) = rows.iter().partition(|c| c.new);
    if !new.is_empty() {
        copy(conn, &new).await?;
    }
    for chunk in changed.chunks((MAX_PARAMS / (R::COLUMNS.len() + 1)).max(1)) {
        upsert(conn, chunk).await?;
    }
    Ok(())
}

/// `COPY … FROM STDIN` of new rows, in PostgreSQL's text format.
async fn copy<R: Record>(conn: &mut PgConnection, rows: &[&Change<R>]) -> Result<(), StoreError> {
    let rows = rows.iter().map(|change| {
        let mut params = change.row.params();
        params.push(Param::Int(Some(change.hash)));
        params
    });
    copy_params(conn, &target::<R>(), rows).await
}

/// `COPY target FROM STDIN` of rows given as their bound values, in PostgreSQL's text format.
/// The rows are encoded before the future starts, so that it holds only bytes (and is plainly
/// `Send` whatever iterator the rows came from).
pub(crate) fn copy_params<'c, 'a>(
    conn: &'c mut PgConnection,
    target: &str,
    rows: impl Iterator<Item = Vec<Param<'a>>>,
) -> impl Future<Output = Result<(), StoreError>> + Send + 'c {
    let data = copy_text(rows);
    let sql = format!("COPY {target} FROM STDIN");
    async move {
        if data.is_empty() {
            return Ok(());
        }
        let mut copy = conn.copy_in_raw(&sql).await?;
        copy.send(data).await?;
        copy.finish().await?;
        Ok(())
    }
}

/// `COPY target FROM STDIN` of rows already in `COPY`'s text format.
pub(crate) async fn copy_data(
    conn: &mut PgConnection,
    target: &str,
    data: Vec<u8>,
) -> Result<(), StoreError> {
    if data.is_empty() {
        return Ok(());
    }
    let mut copy = conn
        .copy_in_raw(&format!("COPY {target} FROM STDIN"))
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    Ok(())
}

/// Rows in `COPY`'s text format.
pub(crate) fn copy_text<'a>(rows: impl Iterator<Item = Vec<Param<'a>>>) -> Vec<u8> {
    let mut data = Vec::new();
    let mut day = [0u8; 10];
    for params in rows {
        for (i, param) in params.into_iter().enumerate() {
            if i > 0 {
                data.push(b'\t');
            }
            match param {
                Param::Text(Some(t)) => escape(&mut data, t),
                Param::Int(Some(n)) => {
                    let _ = write!(data, "{n}");
                }
                Param::Bool(b) => data.push(if b { b't' } else { b'f' }),
                Param::Date(Some(d)) => data.extend_from_slice(iso(d, &mut day).as_bytes()),
                Param::Text(None) | Param::Int(None) | Param::Date(None) => {
                    data.extend_from_slice(b"\\N")
                }
            }
        }
        data.push(b'\n');
    }
    data
}

/// A text value as `COPY`'s text format spells it.
fn escape(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

/// One multi-row `INSERT … ON CONFLICT DO UPDATE`.
async fn upsert<R: Record>(conn: &mut PgConnection, rows: &[&Change<R>]) -> Result<(), StoreError> {
    let mut b = QueryBuilder::<Postgres>::new(format!("INSERT INTO {} ", target::<R>()));
    b.push_values(rows, |mut row, change| {
        for param in change.row.params() {
            match param {
                Param::Text(v) => row.push_bind(v),
                Param::Int(v) => row.push_bind(v),
                Param::Bool(v) => row.push_bind(v),
                Param::Date(v) => row.push_bind(v),
            };
        }
        row.push_bind(change.hash);
    });
    b.push(crate::tx::upsert_tail::<R>());
    b.build().persistent(true).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_text_escapes_what_would_end_a_field() {
        let mut out = Vec::new();
        super::escape(&mut out, "a\\b\tc\nd\re é");
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re \xc3\xa9");
    }
}
