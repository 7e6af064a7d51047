//! One sync: check a folder of CSV files whole, then write it in one transaction.
#![deny(clippy::float_arithmetic)]

mod closing;
mod csvfile;
mod index;
mod keyed;
mod memory;
mod progress;
mod read;
mod records;
mod rows;
mod setup;
mod stored;
mod table;
mod writer;

use foldhash::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears_store::{
    Actor, ApplicationRow, CheckOutcome, CompanyRow, ContactRow, CustomerRow, FileCounts,
    InvoiceRow, Key, Keys, PaymentRow, Store, StoreError, SyncRecord, SyncStatus, UserRow,
};
use chrono::{NaiveDate, Utc};

pub use csvfile::ImportError;
use csvfile::Problems;
use index::InvoiceIndex;
use progress::Progress;
use table::Table;

/// The files of a sync, in the order they are read (references point backwards,
/// except applications to invoices, which are checked once the invoices are read).
pub const FILES: [&str; 13] = [
    "companies.csv",
    "users.csv",
    "activity_types.csv",
    "credit_classes.csv",
    "action_codes.csv",
    "reason_codes.csv",
    "rules.csv",
    "calendar.csv",
    "customers.csv",
    "contacts.csv",
    "payments.csv",
    "payment_applications.csv",
    "invoices.csv",
];

/// How a sync runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The business date of the sync: closing date of invoices closed without applications.
    pub sync_date: NaiveDate,
    pub run_by: String,
    /// Show rows/s and what is left on standard error.
    pub progress: bool,
    /// Where the files came from, for the record; the folder when none is given.
    pub source: Option<String>,
}

/// What a good sync did.
#[derive(Debug)]
pub struct Report {
    pub sync_id: i64,
    pub files: Vec<FileCounts>,
    pub warnings: Vec<String>,
    pub elapsed: Duration,
    /// What the check of expected payments and follow-ups that ends every good sync found.
    pub promises: CheckOutcome,
}

/// Why a sync wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Folder(String),
    #[error("{} problem(s) found; nothing was imported (sync {sync_id} recorded as failed)", problems.len() as u64 + more)]
    Problems {
        sync_id: i64,
        problems: Vec<ImportError>,
        more: u64,
        warnings: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything one sync holds while it reads the folder.
pub(crate) struct Sync {
    /// Where good rows go to be written; `None` once reading is done.
    pub out: Option<writer::Queue>,
    pub options: Options,
    pub problems: Problems,
    pub warnings: Vec<String>,
    pub progress: Progress,
    /// Home currency of every company in the store or the folder.
    pub homes: HashMap<String, String>,
    /// Each company's stored default credit class: a `companies.csv` without the column
    /// keeps it.
    pub default_classes: HashMap<String, String>,
    pub currencies: HashMap<Key, String>,
    pub companies: Table<CompanyRow>,
    pub users: Table<UserRow>,
    pub setup: setup::Setup,
    pub customers: Table<CustomerRow>,
    pub contacts: Table<ContactRow>,
    pub payments: Table<PaymentRow>,
    /// The payments once `payments.csv` is read, shared with the thread that packs their key
    /// pages while the applications are read.
    pub paid: Option<Arc<Table<PaymentRow>>>,
    pub applications: Table<ApplicationRow>,
    pub invoices: Table<InvoiceRow>,
    /// The stored invoices, from the item pages, once invoices are read.
    pub index: InvoiceIndex,
    /// Keys of bad rows of `invoices.csv`, with their lines: they still count for duplicates.
    pub bad_invoices: HashMap<Key, u32>,
    /// Bad application rows, whose invoice must still be known: (invoice key, line).
    pub unresolved_invoices: Vec<(Key, u64)>,
    /// What the store holds, arriving while the first files are read.
    pub parts: stored::Parts,
    /// References within the file being read that may point forward: (key, line).
    pub forward: Vec<(Key, u64)>,
    /// Latest application of every invoice, once the applications are read.
    pub closing: keyed::Keyed<closing::Applied>,
    /// Invoices whose content is unchanged but whose closing date moves.
    pub closing_updates: Vec<(String, String, Option<NaiveDate>)>,
    /// Stored invoices this sync replaces or moves the closing date of, as the store held
    /// them: their versions, written with the next batch of invoices or closing dates.
    pub replaced: Vec<arrears_store::StoredInvoice>,
    /// Whether the stored applications were read (only when a row needed them): when not,
    /// the closing date of a stored invoice closed by this sync is read from the store.
    pub applications_read: bool,
    /// Invoices closed by this sync whose closing date waits for that reading.
    pub unsettled: Vec<(InvoiceRow, i64, Option<i64>)>,
    /// What this sync changed that the rows of later files depend on.
    pub moved: Moved,
    /// The store, for what is remembered of each file.
    pub store: Store,
    /// Whether the store held no book when the sync began: nothing of it is read.
    pub first_book: bool,
}

/// Changes that give an unchanged line of a later file another meaning: its row must be read
/// in full (see [`memory`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Moved {
    /// A company's home currency (amounts in home currency).
    pub homes: bool,
    /// A stored customer's currency (the currency of its invoices and payments).
    pub currencies: bool,
    /// A stored payment's date (the effective date of its applications).
    pub payment_dates: bool,
}

impl Sync {
    /// The payments, wherever they are held.
    pub fn payments(&self) -> &Table<PaymentRow> {
        self.paid.as_deref().unwrap_or(&self.payments)
    }

    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs one sync of the folder `dir`.
pub async fn sync(store: &Store, dir: &Path, options: Options) -> Result<Report, Failure> {
    let started = Instant::now();
    let started_at = Utc::now();
    let (present, others) = present_files(dir)?;
    // A store without a book has nothing to read besides its setup: the sync reads nothing
    // more on other connections, which a first book loaded under a rollback journal (see
    // `Store::open_for_first_book`) would keep waiting until it commits.
    let mut tx = store.begin_sync().await?;
    let first_book = tx.holds_no_book().await?;
    let writeback = store.writeback();
    let wants =
        |names: &[&str]| !first_book && names.iter().any(|n| present.iter().any(|p| p == n));
    let parts = stored::load(
        store,
        stored::Needs {
            currencies: wants(&["invoices.csv", "payments.csv"]),
            customers: wants(&[
                "customers.csv",
                "contacts.csv",
                "invoices.csv",
                "payments.csv",
            ]),
            contacts: wants(&["contacts.csv"]),
            payments: wants(&["payments.csv", "payment_applications.csv"]),
            applications: wants(&["payment_applications.csv", "invoices.csv"]),
            invoices: wants(&["invoices.csv", "payment_applications.csv"]),
        },
    );
    let stored_companies = store.companies().await?;
    let homes = stored_companies
        .iter()
        .map(|c| (c.company_id.clone(), c.home_currency.clone()))
        .collect();
    let default_classes = stored_companies
        .into_iter()
        .filter_map(|c| Some((c.company_id, c.default_credit_class?)))
        .collect();
    let mut sync = Sync {
        options,
        problems: Problems::default(),
        warnings: Vec::new(),
        progress: Progress::default(),
        homes,
        default_classes,
        currencies: HashMap::default(),
        companies: Table::load("companies.csv", store).await?,
        users: Table::load("users.csv", store).await?,
        setup: setup::Setup {
            credit_classes: Table::load("credit_classes.csv", store).await?,
            activity_types: Table::load("activity_types.csv", store).await?,
            action_codes: Table::load("action_codes.csv", store).await?,
            reason_codes: Table::load("reason_codes.csv", store).await?,
            rules: Table::load("rules.csv", store).await?,
            calendar: Table::load("calendar.csv", store).await?,
            default_classes: Vec::new(),
        },
        customers: Table::new("customers.csv", Keys::default()),
        contacts: Table::new("contacts.csv", Keys::default()),
        payments: Table::new("payments.csv", Keys::default()),
        paid: None,
        applications: Table::new("payment_applications.csv", Keys::default()),
        parts,
        invoices: Table::new("invoices.csv", Default::default()),
        index: InvoiceIndex::default(),
        bad_invoices: HashMap::default(),
        unresolved_invoices: Vec::new(),
        forward: Vec::new(),
        closing: keyed::Keyed::default(),
        closing_updates: Vec::new(),
        replaced: Vec::new(),
        applications_read: false,
        unsettled: Vec::new(),
        moved: Moved::default(),
        store: store.clone(),
        first_book,
        out: None,
    };
    sync.progress.enabled = sync.options.progress;
    sync.warnings.extend(others);
    let (run_by, sync_date) = (sync.options.run_by.clone(), sync.options.sync_date);
    let (out, batches) = writer::queue(if sync.first_book {
        writer::QUEUE_KIB
    } else {
        writer::RESYNC_QUEUE_KIB
    });
    sync.out = Some(out);
    let (folder, names) = (dir.to_owned(), present.clone());
    let reader = tokio::task::spawn_blocking(move || {
        let read = read::read_all(&mut sync, &folder, &names);
        sync.out = None;
        sync.progress.done();
        (sync, read)
    });
    let actor = Actor {
        user_id: &run_by,
        at: started_at,
        business_date: sync_date,
    };
    let (reader, written) = tokio::join!(reader, writer::write_all(&mut tx, actor, batches));
    let (sync, read) = reader.map_err(|e| Failure::Folder(format!("the sync stopped: {e}")))?;
    written?;
    read?;
    let files: Vec<FileCounts> = [
        &sync.companies.counts,
        &sync.users.counts,
        &sync.setup.activity_types.counts,
        &sync.setup.credit_classes.counts,
        &sync.setup.action_codes.counts,
        &sync.setup.reason_codes.counts,
        &sync.setup.rules.counts,
        &sync.setup.calendar.counts,
        &sync.customers.counts,
        &sync.contacts.counts,
        &sync.payments.counts,
        &sync.applications.counts,
        &sync.invoices.counts,
    ]
    .into_iter()
    .filter(|c| present.contains(&c.file))
    .cloned()
    .collect();
    let mut record = SyncRecord {
        sync_id: 0,
        started_at,
        finished_at: Utc::now(),
        sync_date: sync.options.sync_date,
        source: sync
            .options
            .source
            .clone()
            .unwrap_or_else(|| dir.display().to_string()),
        run_by: sync.options.run_by.clone(),
        status: SyncStatus::Ok,
        problems: Vec::new(),
        files,
    };
    if sync.clean() {
        let sync_id = tx.record_sync(&record).await?;
        tx.commit().await?;
        drop(writeback);
        let written: i64 = record.files.iter().map(|f| f.inserted + f.updated).sum();
        if written >= i64::try_from(arrears_store::LARGE_WRITE).unwrap_or(i64::MAX) {
            store
                .refresh_statistics(&[
                    "customers",
                    "contacts",
                    "invoices",
                    "payments",
                    "payment_applications",
                    "invoice_versions",
                    "customer_versions",
                ])
                .await?;
        }
        // Promises are matched against the payments just loaded (section 5 of the contract).
        let actor = Actor {
            user_id: &record.run_by,
            at: Utc::now(),
            business_date: record.sync_date,
        };
        let promises = store.check_expected(actor).await?;
        return Ok(Report {
            sync_id,
            files: record.files,
            warnings: sync.warnings,
            elapsed: started.elapsed(),
            promises,
        });
    }
    tx.rollback().await?;
    let Problems { list, more } = sync.problems;
    record.status = SyncStatus::Failed;
    record.problems = list.iter().map(ToString::to_string).collect();
    if more > 0 {
        record
            .problems
            .push(format!("… and {more} more problem(s)"));
    }
    for f in &mut record.files {
        (f.inserted, f.updated, f.unchanged) = (0, 0, 0);
    }
    let sync_id = store.record_sync(&record).await?;
    Err(Failure::Problems {
        sync_id,
        problems: list,
        more,
        warnings: sync.warnings,
    })
}

/// The sync files present in `dir`, and warnings for other CSV files, which are ignored.
fn present_files(dir: &Path) -> Result<(Vec<String>, Vec<String>), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::Folder(match e.kind() {
            std::io::ErrorKind::NotFound => format!("{}: no such folder", dir.display()),
            std::io::ErrorKind::NotADirectory => format!("{}: not a folder", dir.display()),
            _ => format!("{}: cannot read the folder: {e}", dir.display()),
        })
    })?;
    let mut present = Vec::new();
    let mut others = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if FILES.contains(&name.as_str()) {
            present.push(name);
        } else if name.to_ascii_lowercase().ends_with(".csv") {
            others.push(format!("{name}: not a sync file, ignored"));
        }
    }
    others.sort();
    if present.is_empty() {
        return Err(Failure::Folder(format!(
            "{}: no sync files found; expected one or more of {}",
            dir.display(),
            FILES.join(", ")
        )));
    }
    Ok((present, others))
}
