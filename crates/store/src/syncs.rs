//! The record of every sync: when, from where, by whom, what it did or why it failed.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use crate::tx::on_tx;
use crate::{Store, StoreError, Tx, on_pool};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    Ok,
    Failed,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Ok => "ok",
            SyncStatus::Failed => "failed",
        }
    }
}

/// Rows of one file of a sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub file: String,
    pub rows: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
}

/// One sync, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncRecord {
    pub sync_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub sync_date: NaiveDate,
    pub source: String,
    pub run_by: String,
    pub status: SyncStatus,
    /// Every problem of a failed sync, one line each.
    pub problems: Vec<String>,
    pub files: Vec<FileCounts>,
}

const INSERT_SYNC: &str = "INSERT INTO syncs (started_at, finished_at, sync_date, source, run_by, status, problems) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING sync_id";
const INSERT_FILE: &str = "INSERT INTO sync_files (sync_id, position, file, rows, inserted, updated, unchanged) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Writes `$record` through the executor `$conn`, giving its new id.
macro_rules! insert_sync {
    ($conn:expr, $record:expr) => {{
        let r = $record;
        let id: i64 = sqlx::query_scalar(INSERT_SYNC)
            .bind(r.started_at)
            .bind(r.finished_at)
            .bind(r.sync_date)
            .bind(&r.source)
            .bind(&r.run_by)
            .bind(r.status.as_str())
            .bind(r.problems.join("\n"))
            .fetch_one(&mut *$conn)
            .await?;
        for (position, f) in r.files.iter().enumerate() {
            sqlx::query(INSERT_FILE)
                .bind(id)
                .bind(position as i64)
                .bind(&f.file)
                .bind(f.rows)
                .bind(f.inserted)
                .bind(f.updated)
                .bind(f.unchanged)
                .execute(&mut *$conn)
                .await?;
        }
        id
    }};
}

impl Tx {
    /// Records a sync inside its own transaction, so it stands or falls with the sync.
    pub async fn record_sync(&mut self, record: &SyncRecord) -> Result<i64, StoreError> {
        Ok(on_tx!(self, tx => insert_sync!(&mut **tx, record)))
    }
}

impl Store {
    /// Records a sync that wrote nothing (a failed one).
    pub async fn record_sync(&self, record: &SyncRecord) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            insert_sync!(&mut *conn, record)
        }))
    }

    /// The latest syncs, newest first.
    pub async fn syncs(&self, limit: i64) -> Result<Vec<SyncRecord>, StoreError> {
        const SYNCS: &str = "SELECT sync_id, started_at, finished_at, sync_date, source, run_by, status, problems \
             FROM syncs ORDER BY sync_id DESC LIMIT $1";
        const FILES: &str = "SELECT file, rows, inserted, updated, unchanged FROM sync_files \
             WHERE sync_id = $1 ORDER BY position";
        on_pool!(self, pool => {
            let rows = sqlx::query(SYNCS).bind(limit).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let sync_id: i64 = row.try_get(0)?;
                let files = sqlx::query(FILES).bind(sync_id).fetch_all(pool).await?;
                let files = files
                    .iter()
                    .map(|f| Ok(FileCounts {
                        file: f.try_get(0)?,
                        rows: f.try_get(1)?,
                        inserted: f.try_get(2)?,
                        updated: f.try_get(3)?,
                        unchanged: f.try_get(4)?,
                    }))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                let status: String = row.try_get(6)?;
                let problems: String = row.try_get(7)?;
                out.push(SyncRecord {
                    sync_id,
                    started_at: row.try_get(1)?,
                    finished_at: row.try_get(2)?,
                    sync_date: row.try_get(3)?,
                    source: row.try_get(4)?,
                    run_by: row.try_get(5)?,
                    status: if status == "ok" { SyncStatus::Ok } else { SyncStatus::Failed },
                    problems: problems.lines().map(str::to_owned).collect(),
                    files,
                });
            }
            Ok(out)
        })
    }
}
