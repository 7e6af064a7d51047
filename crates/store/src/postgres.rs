//! Bulk writes on PostgreSQL: rows new to the store go in with `COPY`, changed ones with
//! multi-row upserts.

use std::io::Write;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
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
        if R::HASH_COLUMN {
            params.push(Param::Int(Some(change.hash)));
        }
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

/// `COPY target FROM STDIN` of rows already in `COPY`'s binary format (see [`binary_rows`]).
pub(crate) async fn copy_binary(
    conn: &mut PgConnection,
    target: &str,
    data: Vec<u8>,
) -> Result<(), StoreError> {
    if data.is_empty() {
        return Ok(());
    }
    let mut copy = conn
        .copy_in_raw(&format!("COPY {target} FROM STDIN WITH (FORMAT binary)"))
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    Ok(())
}

/// One value of a row in `COPY`'s binary format, as the column's own type holds it: the
/// server then stores it without parsing it (long texts are copied, not scanned).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Binary<'a> {
    /// `BIGINT`
    Int(Option<i64>),
    /// `TEXT`
    Text(Option<&'a str>),
    /// `BOOLEAN`
    Bool(bool),
    /// `DATE`
    Date(Option<NaiveDate>),
    /// `TIMESTAMPTZ`
    Stamp(DateTime<Utc>),
}

/// Rows in `COPY`'s binary format: its header, each row's values, its trailer; nothing for
/// no rows.
pub(crate) fn binary_rows<'a>(rows: impl Iterator<Item = Vec<Binary<'a>>>) -> Vec<u8> {
    // Dates count days, and times microseconds, from 2000-01-01.
    const EPOCH_DAYS_FROM_CE: i32 = 730_120;
    const EPOCH_MICROS: i64 = 946_684_800_000_000;
    let mut data = Vec::new();
    let field = |data: &mut Vec<u8>, bytes: &[u8]| {
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        data.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(bytes);
    };
    for row in rows {
        if data.is_empty() {
            data.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
            data.extend_from_slice(&[0; 8]); // no flags, no header extension
        }
        let columns = i16::try_from(row.len()).unwrap_or(i16::MAX);
        data.extend_from_slice(&columns.to_be_bytes());
        for value in row {
            match value {
                Binary::Int(Some(n)) => field(&mut data, &n.to_be_bytes()),
                Binary::Text(Some(t)) => field(&mut data, t.as_bytes()),
                Binary::Bool(b) => field(&mut data, &[u8::from(b)]),
                Binary::Date(Some(d)) => {
                    let days = d.num_days_from_ce() - EPOCH_DAYS_FROM_CE;
                    field(&mut data, &days.to_be_bytes())
                }
                Binary::Stamp(t) => {
                    // To the nearest microsecond, as the server rounds a time it parses.
                    let nanos = t.timestamp_nanos_opt().map(|n| (n + 500).div_euclid(1000));
                    let micros = nanos.unwrap_or_else(|| t.timestamp_micros()) - EPOCH_MICROS;
                    field(&mut data, &micros.to_be_bytes())
                }
                Binary::Int(None) | Binary::Text(None) | Binary::Date(None) => {
                    data.extend_from_slice(&(-1i32).to_be_bytes())
                }
            }
        }
    }
    if !data.is_empty() {
        data.extend_from_slice(&(-1i16).to_be_bytes());
    }
    data
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
                Param::Date(Some(d)) | Param::Day(Some(d)) => {
                    data.extend_from_slice(iso(d, &mut day).as_bytes())
                }
                Param::Text(None) | Param::Int(None) | Param::Date(None) | Param::Day(None) => {
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
                Param::Date(v) | Param::Day(v) => row.push_bind(v),
            };
        }
        if R::HASH_COLUMN {
            row.push_bind(change.hash);
        }
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

    #[test]
    fn binary_rows_spell_each_type_as_the_server_reads_it() {
        use super::Binary::{Bool, Date, Int, Stamp, Text};
        use chrono::{NaiveDate, TimeZone, Utc};
        let day = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
        // 1.5 µs after the epoch: the server rounds it to 2 µs.
        let at = Utc.timestamp_opt(946_684_800, 1_500).unwrap();
        let rows = [vec![
            Int(Some(-2)),
            Text(Some("é")),
            Bool(true),
            Date(Some(day)),
            Stamp(at),
            Text(None),
        ]];
        let mut expected = b"PGCOPY\n\xff\r\n\0".to_vec();
        expected.extend_from_slice(&[0; 8]);
        expected.extend_from_slice(&6i16.to_be_bytes());
        expected.extend_from_slice(&[0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254]);
        expected.extend_from_slice(&[0, 0, 0, 2, 0xc3, 0xa9]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 2]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2]);
        expected.extend_from_slice(&[255, 255, 255, 255]);
        expected.extend_from_slice(&(-1i16).to_be_bytes());
        assert_eq!(super::binary_rows(rows.into_iter()), expected);
        assert!(super::binary_rows(std::iter::empty()).is_empty());
    }
}
