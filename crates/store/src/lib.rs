//! The book on SQLite (embedded) and PostgreSQL (production), behind one interface.
#![deny(clippy::float_arithmetic)]

mod access;
mod assignments;
mod book;
mod bulk;
mod desk;
mod disputes;
mod keys;
mod lines;
pub mod pages;
mod plans;
mod postgres;
mod promises;
mod rows;
mod settings;
mod setup;
mod sqlite;
mod syncs;
mod tx;
mod user_actions;
mod versions;
pub use versions::StoredInvoice;
mod work;
mod workflow;
mod writeback;
pub use writeback::Writeback;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use access::{Account, BookVersion, SeenUsers, Session, SignIn, Token};
pub use assignments::{AssignRefused, AssignTo, Assignment};
pub use book::{CompanyRecord, CustomerRecord};
pub use bulk::{Scope, Viewer};
pub use desk::{AccountNote, Contact, SavedView};
pub use disputes::{DisputeRecord, NewDispute};
pub use keys::{KEY_SEP, Key, KeyState, Keys, key, order_prefix, split_key};
pub use plans::{InstalmentRecord, NewPlan, PlanRecord};
pub use promises::{CheckOutcome, ExpectedRecord, NewExpected};
pub use rows::{
    ApplicationRow, Change, CompanyRow, ContactRow, CustomerRow, InvoiceRow, Param, PaymentRow,
    Record, UserRow,
};
pub use setup::{
    ActionCodeRow, ActivityTypeRow, CalendarRow, CreditClassRow, ReasonCodeRow, RuleRow,
    SetupEntity, SetupRecord,
};
pub use syncs::{FileCounts, SyncRecord, SyncStatus};
pub use tx::Tx;
pub use user_actions::{UserActionEdit, UserActionRecord, UserActionType, WorkCount};
pub use work::{
    ActivitySummary, GenerateRun, GenerateWrite, IssueClosing, IssueRecord, LARGE_WRITE,
    NewActivity, NewIssue, OpenIssue, Queue, QueueItem,
};
pub use workflow::{
    Activity, ActivityRecord, Actor, Event, EventQuery, FollowUp, InvoiceNote, IssueHead, Logged,
    NewCommunication, NewEvent, Refused, Said, Tag, json,
};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite's page cache per connection, unless `ARREARS_SQLITE_CACHE_KIB` sets another.
const CACHE_KIB: i64 = 65_536;

/// Whether the store holds no customer, and so no book at all.
const NO_BOOK: &str = "SELECT NOT EXISTS (SELECT 1 FROM customers)";
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {why}")]
    Connect { url: String, why: String },
    #[error(
        "the database {url} was written by a newer version of Arrears (schema version {version}); upgrade Arrears to use it"
    )]
    NewerSchema { url: String, version: i64 },
    #[error("cannot prepare the database {url}: {why}")]
    Migrate { url: String, why: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
}

/// The store: a pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands `$body` once per backend, so each query compiles for both drivers.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens (creating if needed) the store at `url` and brings its schema up to date.
    /// `url` is `sqlite://PATH`, `postgres://…`, or a plain file path for SQLite.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, SqliteJournalMode::Wal).await
    }

    /// Opens the SQLite store at `url` to load a first book into it: with a rollback journal,
    /// the sync's new pages are written once, into the file, instead of once into the
    /// write-ahead log and again into the file when it is copied back (a fifth of a first
    /// import of ten million invoices). `None` for PostgreSQL, and when another connection
    /// has the store open (it then keeps its write-ahead log). The next [`Store::open`] goes
    /// back to the log, which lets readers read while a sync writes.
    pub async fn open_for_first_book(url: &str) -> Result<Option<Store>, StoreError> {
        if is_postgres(url) {
            return Ok(None);
        }
        let Ok(store) = Store::connect(url, SqliteJournalMode::Delete).await else {
            return Ok(None);
        };
        let Store::Sqlite(pool) = &store else {
            return Ok(None);
        };
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await?;
        if mode.eq_ignore_ascii_case("delete") {
            Ok(Some(store))
        } else {
            store.close().await;
            Ok(None)
        }
    }

    /// Whether the store holds no customer, and so no book at all.
    pub async fn holds_no_book(&self) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, bool>(NO_BOOK).fetch_one(pool).await?))
    }

    async fn connect(url: &str, journal: SqliteJournalMode) -> Result<Store, StoreError> {
        let connect = |why: String| StoreError::Connect {
            url: redact(url),
            why,
        };
        let store = if is_postgres(url) {
            let options = PgConnectOptions::from_str(url).map_err(|e| connect(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| connect(plain(&e)))?;
            Store::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if path.is_empty() {
                return Err(connect("no file name given".into()));
            }
            let cache_kib = match std::env::var("ARREARS_SQLITE_CACHE_KIB") {
                Ok(kib) => kib.parse::<i64>().ok().filter(|k| *k > 0).ok_or_else(|| {
                    connect(format!(
                        "ARREARS_SQLITE_CACHE_KIB={kib:?} is not a positive number of KiB"
                    ))
                })?,
                Err(_) => CACHE_KIB,
            };
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(journal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .pragma("cache_size", format!("-{cache_kib}"))
                .pragma("temp_store", "memory")
                .page_size(16384);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|e| connect(plain(&e)))?;
            Store::Sqlite(pool)
        };
        store.migrate(url).await?;
        Ok(store)
    }

    async fn migrate(&self, url: &str) -> Result<(), StoreError> {
        let result = on_pool!(self, pool => {
            let migrator = if matches!(self, Store::Sqlite(_)) { &SQLITE } else { &POSTGRES };
            migrator.run(pool).await
        });
        match result {
            Ok(()) => Ok(()),
            Err(MigrateError::VersionMissing(version)) => Err(StoreError::NewerSchema {
                url: redact(url),
                version,
            }),
            Err(e) => Err(StoreError::Migrate {
                url: redact(url),
                why: e.to_string(),
            }),
        }
    }

    /// On SQLite, a thread that has the kernel write the store's file and log to disk while a
    /// sync writes them (see [`Writeback`]), until dropped; none on PostgreSQL, which writes
    /// its own.
    pub fn writeback(&self) -> Option<Writeback> {
        match self {
            Store::Sqlite(pool) => Some(Writeback::start(pool.connect_options().get_filename())),
            Store::Postgres(_) => None,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The driver's message without its debug wrapping.
fn plain(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://app:secret@db/ar"),
            "postgres://app:***@db/ar"
        );
        assert_eq!(
            super::redact("postgres://app@db/ar"),
            "postgres://app@db/ar"
        );
        assert_eq!(super::redact("sqlite://arrears.db"), "sqlite://arrears.db");
    }
}
