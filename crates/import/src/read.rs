//! Reading the folder: each file in turn, rows checked and handed to the writer in batches,
//! and each table's keys freed once no later file needs them.

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use arrears_store::{
    ActionCodeRow, ActivityTypeRow, ApplicationRow, CalendarRow, CompanyRow, ContactRow,
    CreditClassRow, CustomerRow, InvoiceRow, Key, Keys, PaymentRow, ReasonCodeRow, Record, RuleRow,
    UserRow, key,
};

use crate::csvfile::{CsvFile, Problems};
use crate::memory::{self, Memory};
use crate::rows::{
    application, company, contact, customer, invoice, payment, settle_closing, user,
};
use crate::stored::{Lazy, Part};
use crate::table::{KeyPage, Table};
use crate::writer::Batch;
use crate::{Failure, Sync, closing, setup};

/// The columns a file may have, and those it must have.
fn columns(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match name {
        "companies.csv" => (CompanyRow::COLUMNS, &CompanyRow::COLUMNS[..3]),
        "activity_types.csv" => (
            ActivityTypeRow::COLUMNS,
            &["company_id", "activity_type", "base_type"],
        ),
        "credit_classes.csv" => (CreditClassRow::COLUMNS, &CreditClassRow::COLUMNS[..3]),
        "action_codes.csv" => (ActionCodeRow::COLUMNS, &ActionCodeRow::COLUMNS[..5]),
        "reason_codes.csv" => (ReasonCodeRow::COLUMNS, ReasonCodeRow::COLUMNS),
        "rules.csv" => (RuleRow::COLUMNS, &RuleRow::COLUMNS[..6]),
        "calendar.csv" => (CalendarRow::COLUMNS, &CalendarRow::COLUMNS[..2]),
        "users.csv" => (UserRow::COLUMNS, &["user_id", "name", "role"]),
        "customers.csv" => (CustomerRow::COLUMNS, &["company_id", "customer_id", "name"]),
        "contacts.csv" => (
            ContactRow::COLUMNS,
            &["company_id", "customer_id", "contact_id", "name"],
        ),
        "invoices.csv" => (
            &InvoiceRow::COLUMNS[..InvoiceRow::COLUMNS.len() - 1],
            &[
                "company_id",
                "customer_id",
                "tran_id",
                "tran_date",
                "amount",
                "balance",
            ],
        ),
        "payments.csv" => (
            PaymentRow::COLUMNS,
            &[
                "company_id",
                "customer_id",
                "payment_id",
                "payment_date",
                "amount",
            ],
        ),
        _ => (
            &[
                "company_id",
                "payment_id",
                "tran_id",
                "amount",
                "applied_date",
            ],
            &["company_id", "payment_id", "tran_id", "amount"],
        ),
    }
}

/// Reads every present file, in order, sending good rows to the writer.
pub(crate) fn read_all(sync: &mut Sync, dir: &Path, present: &[String]) -> Result<(), Failure> {
    let has = |name: &str| present.iter().any(|p| p == name);
    let mut packing = None;
    for name in crate::FILES {
        match name {
            "customers.csv" => {
                take_stored(sync)?;
                take_stored(sync)?;
            }
            "invoices.csv" => take_stored(sync)?,
            _ => {}
        }
        if name == "payment_applications.csv" {
            packing = pack_payments(sync);
        }
        if has(name) {
            read(sync, dir, name)?;
        }
        match name {
            "credit_classes.csv" => setup::check_default_classes(sync),
            "contacts.csv" => {
                decide(sync, Lazy::Contacts, false)?;
                let pages = sync.contacts.key_pages();
                sync.contacts.release();
                send_key_pages(sync, ContactRow::TABLE, pages)?;
            }
            "payment_applications.csv" => {
                decide(sync, Lazy::Applications, false)?;
                settle_applications(sync, packing.take())?;
            }
            _ => {}
        }
    }
    let pages = sync.customers.key_pages();
    send_key_pages(sync, CustomerRow::TABLE, pages)?;
    closing::check_after_reading(sync);
    send_invoice_pages(sync)
}

/// Once everything is read and checked: the moved closing dates and the changed item pages,
/// encoded here while the writer stores the ones before.
fn send_invoice_pages(sync: &mut Sync) -> Result<(), Failure> {
    if !sync.clean() {
        return Ok(());
    }
    let dates = std::mem::take(&mut sync.closing_updates);
    let stored = std::mem::take(&mut sync.replaced);
    if !dates.is_empty() || !stored.is_empty() {
        send(sync, Batch::ClosingDates(dates, stored))?;
    }
    let sync = &*sync;
    sync.index.changed_pages(|company, page, data| {
        send(sync, Batch::ItemPage(company.to_owned(), page, data))
    })
}

/// Before the applications are read: once the payments are, and hold their stored keys if any
/// row needed them, their key pages are packed on a thread of their own while the applications
/// are read (which only look payments up). The payments' keys are then freed before the
/// latest application of every invoice is worked out: a 10M first import peaks about 450 MiB
/// lower than when both were packed once the applications were read. `None` while a later
/// row may still want the payments' stored keys (then no payment row was read in full: no
/// page of theirs changed).
fn pack_payments(sync: &mut Sync) -> Option<JoinHandle<Vec<KeyPage>>> {
    if (sync.parts.wanted.iter()).any(|(lazy, _)| *lazy == Lazy::Payments) {
        return None;
    }
    let counts = sync.payments.counts.clone();
    let read = std::mem::replace(
        &mut sync.payments,
        Table::new("payments.csv", Keys::default()),
    );
    sync.payments.counts = counts;
    let read = Arc::new(read);
    sync.paid = Some(Arc::clone(&read));
    Some(std::thread::spawn(move || read.key_pages()))
}

/// Once the applications are read: the payments' key pages go to the writer and their keys are
/// freed; then the key pages of the applications and the latest application of every invoice
/// are worked out side by side (the writer waits for the invoices), the applications' keys
/// freed, and the stored invoices may be read.
fn settle_applications(
    sync: &mut Sync,
    packing: Option<JoinHandle<Vec<KeyPage>>>,
) -> Result<(), Failure> {
    let payment_pages = match packing {
        Some(packing) => packing
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        None => sync.payments.key_pages(),
    };
    sync.paid = None;
    sync.payments.release();
    send_key_pages(sync, PaymentRow::TABLE, payment_pages)?;
    let applications = &sync.applications;
    let (closing, application_pages) = std::thread::scope(|s| {
        let closing = s.spawn(|| closing::closing_dates(applications));
        let pages = applications.key_pages();
        let closing = closing
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (closing, pages)
    });
    sync.closing = closing;
    sync.applications.release();
    if let Some(wanted) = sync.parts.invoices_wanted.take() {
        let _ = wanted.send(());
    }
    send_key_pages(sync, ApplicationRow::TABLE, application_pages)
}

/// Says whether each lazy table up to `upto` is wanted: `upto` when `load`, the ones before it
/// not (no row of theirs was read in full). A table decided before stays as it was; one
/// wanted is in place on return.
fn decide(sync: &mut Sync, upto: Lazy, load: bool) -> Result<(), Failure> {
    while sync
        .parts
        .wanted
        .front()
        .is_some_and(|(lazy, _)| *lazy <= upto)
    {
        let Some((lazy, wanted)) = sync.parts.wanted.pop_front() else {
            break;
        };
        let load = load && lazy == upto;
        // The loading task has stopped only on an error, which `take_stored` reports.
        let _ = wanted.send(load);
        if load {
            take_stored(sync)?;
        }
    }
    Ok(())
}

/// The stored keys a row of `name` read in full needs.
fn want_keys(sync: &mut Sync, name: &str) -> Result<(), Failure> {
    match name {
        "contacts.csv" => decide(sync, Lazy::Contacts, true),
        "payments.csv" => decide(sync, Lazy::Payments, true),
        "payment_applications.csv" => {
            decide(sync, Lazy::Payments, true)?;
            decide(sync, Lazy::Applications, true)
        }
        _ => Ok(()),
    }
}

/// Puts the next part of what the store holds in its place, waiting for it if need be.
fn take_stored(sync: &mut Sync) -> Result<(), Failure> {
    let part = sync
        .parts
        .next
        .blocking_recv()
        .ok_or_else(|| Failure::Folder("the store stopped giving what it holds".into()))??;
    match part {
        Part::Currencies(currencies) => sync.currencies = currencies,
        Part::Customers(table) => sync.customers.take_keys(table),
        Part::Contacts(table) => sync.contacts.take_keys(table),
        Part::Payments(table) => sync.payments.take_keys(table),
        Part::Applications(table) => {
            sync.applications.take_keys(table);
            sync.applications_read = true;
        }
        Part::Invoices(index) => sync.index = index,
    }
    Ok(())
}

/// Sends a table's changed key pages to the writer.
fn send_key_pages(
    sync: &mut Sync,
    table: &'static str,
    pages: Vec<KeyPage>,
) -> Result<(), Failure> {
    if pages.is_empty() || !sync.clean() {
        return Ok(());
    }
    send(sync, Batch::KeyPages(table, pages))
}

fn send(sync: &Sync, batch: Batch) -> Result<(), Failure> {
    send_rows(sync, batch, 0)
}

/// Sends a batch whose rows were read from `text` bytes of lines.
fn send_rows(sync: &Sync, batch: Batch, text: usize) -> Result<(), Failure> {
    match &sync.out {
        Some(out) if !out.blocking_send(batch, text) => {
            Err(Failure::Folder("the store stopped taking rows".into()))
        }
        _ => Ok(()),
    }
}

/// Reads one file of the folder into the sync.
fn read(sync: &mut Sync, dir: &Path, name: &'static str) -> Result<(), Failure> {
    let (known, required) = columns(name);
    let opened = CsvFile::open(
        dir,
        name,
        known,
        required,
        &mut sync.problems,
        &mut sync.warnings,
    );
    let Some(mut file) = opened.map_err(Failure::Folder)? else {
        return Ok(());
    };
    if !sync.clean() && required.iter().any(|c| !file.has(c)) {
        return Ok(());
    }
    let remembered = memory::FILES.iter().find(|(f, ..)| *f == name);
    let stamp = memory::stamp(&file.header);
    let mut memory = match remembered {
        Some(_) if !sync.first_book && memory_usable(sync, name) => {
            let old =
                tokio::runtime::Handle::current().block_on(sync.store.line_memory(name, stamp))?;
            Some(Memory::new(old))
        }
        Some(_) => Some(Memory::new(Vec::new())),
        None => None,
    };
    let key_columns = remembered.map_or(&[][..], |r| r.1);
    let key_places = file.places(key_columns);
    sync.progress.start();
    let mut rows: i64 = 0;
    // The key of a line known unchanged, made in one buffer.
    let mut skipped = Vec::new();
    // Bytes of the lines read in full since rows were last handed to the writer.
    let mut unsent: usize = 0;
    while let Some(line) = file.next_row(&mut sync.problems) {
        let hash = memory.as_ref().map(|_| memory::line_hash(file.raw()));
        if let (Some(memory), Some(hash)) = (&mut memory, hash)
            && memory.unchanged(hash)
        {
            // Read and checked by the last sync of this file, and what the store still holds.
            memory.new.push(hash);
            if let Some(places) = &key_places
                && file.key_bytes(places, &mut skipped)
            {
                memory.skipped_key(&skipped);
            }
            let counts = counts(sync, name);
            counts.rows += 1;
            counts.unchanged += 1;
            rows += 1;
            sync.progress.tick(name, rows, file.position(), file.size);
            continue;
        }
        if !file.split(line, &mut sync.problems) {
            continue;
        }
        if let (Some(memory), Some(hash)) = (&mut memory, hash) {
            memory.new.push(hash);
            if memory.active()
                && let Some(k) = row_key(&file, line, key_columns)
            {
                memory.read_key(k, line);
            }
        }
        want_keys(sync, name)?;
        let mut f = file.fields(line);
        match name {
            "companies.csv" => company(sync, &mut f),
            "users.csv" => user(sync, &mut f),
            "activity_types.csv" => setup::activity_type(sync, &mut f),
            "credit_classes.csv" => setup::credit_class(sync, &mut f),
            "action_codes.csv" => setup::action_code(sync, &mut f),
            "reason_codes.csv" => setup::reason_code(sync, &mut f),
            "rules.csv" => setup::rule(sync, &mut f),
            "calendar.csv" => setup::calendar_day(sync, &mut f),
            "customers.csv" => customer(sync, &mut f),
            "contacts.csv" => contact(sync, &mut f),
            "payments.csv" => payment(sync, &mut f),
            "payment_applications.csv" => application(sync, &mut f),
            _ => invoice(sync, &mut f),
        }
        f.finish(&mut sync.problems);
        rows += 1;
        if rows == SIZED_AFTER && sync.first_book {
            let expected = expect_rows(sync, name, rows, file.position(), file.size);
            if let Some(memory) = &mut memory {
                memory.new.reserve(expected);
            }
        }
        sync.progress.tick(name, rows, file.position(), file.size);
        unsent += file.raw().len();
        if flush(sync, name, unsent >= BATCH_BYTES, unsent)? {
            unsent = 0;
        }
    }
    if name == "invoices.csv" {
        settle_closing(sync)?;
    }
    flush(sync, name, true, unsent)?;
    after_file(sync, name);
    if let (Some(memory), Some((_, columns, column))) = (memory, remembered) {
        if memory.may_repeat_a_key() {
            repeated_keys(sync, dir, name, &memory, columns, column)?;
        }
        if sync.clean() {
            let (lines, stored) = memory.into_lines();
            send(sync, Batch::LineMemory(name, stamp, lines, stored))?;
        }
    }
    Ok(())
}

/// Rows read in full before a file's row count is guessed from its size.
const SIZED_AFTER: i64 = 4_096;

/// Makes room for the rows a file of a first book will bring, guessed from the size of its
/// first `rows` (`read` bytes of `size`), and gives the guess: the keys of a large file then
/// need no growing, each step of which would copy them all into memory the process touches
/// for the first time. (A later sync holds the stored keys, read with room for them, or none
/// at all: its unchanged lines are known from the line memory.)
fn expect_rows(sync: &mut Sync, name: &str, rows: i64, read: u64, size: u64) -> usize {
    let Ok(rows) = u64::try_from(rows) else {
        return 0;
    };
    let expected = usize::try_from(rows.saturating_mul(size) / read.max(1)).unwrap_or(0);
    match name {
        "customers.csv" => sync.customers.expect(expected),
        "contacts.csv" => sync.contacts.expect(expected),
        "payments.csv" => sync.payments.expect(expected),
        "payment_applications.csv" => sync.applications.expect(expected),
        "invoices.csv" => sync.index.expect(expected),
        _ => {}
    }
    expected
}

/// Whether an unchanged line of `name` still means what it meant: nothing its rows depend on
/// moved in the files read before it.
fn memory_usable(sync: &Sync, name: &str) -> bool {
    match name {
        "payments.csv" | "invoices.csv" => !sync.moved.homes && !sync.moved.currencies,
        "payment_applications.csv" => !sync.moved.payment_dates,
        _ => true,
    }
}

/// The counts of a remembered file.
fn counts<'s>(sync: &'s mut Sync, name: &str) -> &'s mut arrears_store::FileCounts {
    match name {
        "customers.csv" => &mut sync.customers.counts,
        "contacts.csv" => &mut sync.contacts.counts,
        "payments.csv" => &mut sync.payments.counts,
        "payment_applications.csv" => &mut sync.applications.counts,
        _ => &mut sync.invoices.counts,
    }
}

/// The key of the current row, from its key columns; `None` when one is empty.
fn row_key(file: &CsvFile, line: u64, columns: &[&'static str]) -> Option<Key> {
    if columns.is_empty() {
        return None;
    }
    let mut f = file.fields(line);
    let mut parts = [""; 3];
    for (part, column) in parts.iter_mut().zip(columns) {
        *part = f.text(column)?;
    }
    Some(key(&parts[..columns.len()]))
}

/// Reads `name` again to find the rows known unchanged whose key a row read in full repeats:
/// each is a duplicate key, reported on the later of the two lines.
fn repeated_keys(
    sync: &mut Sync,
    dir: &Path,
    name: &'static str,
    memory: &Memory,
    key_columns: &[&'static str],
    column: &str,
) -> Result<(), Failure> {
    let (known, required) = columns(name);
    let mut ignored = Problems::default();
    let opened = CsvFile::open(dir, name, known, required, &mut ignored, &mut Vec::new());
    let Some(mut file) = opened.map_err(Failure::Folder)? else {
        return Ok(());
    };
    let (keys, read_in_full) = memory.read_rows();
    while let Some(line) = file.next_row(&mut ignored) {
        if read_in_full.contains(&line) || !file.split(line, &mut ignored) {
            continue;
        }
        let Some(k) = row_key(&file, line, key_columns) else {
            continue;
        };
        if let Some(other) = keys.get(k.as_str()) {
            let (first, later) = (line.min(*other), line.max(*other));
            sync.problems.push(
                name,
                later,
                column,
                format!("duplicate key, first on line {first}"),
            );
        }
    }
    Ok(())
}

/// Lines read in full, in bytes, after which the rows they queued go to the writer even when
/// fewer than a batch: a batch of a wide file (long comments, many columns) stays small.
const BATCH_BYTES: usize = 256 * 1024;

/// Hands the queued rows of `name`, read from `text` bytes of lines, to the writer: once there
/// are enough of them, or all of them when `all`; says whether it did.
fn flush(sync: &mut Sync, name: &str, all: bool, text: usize) -> Result<bool, Failure> {
    let clean = sync.clean();
    let batch = match name {
        "companies.csv" => sync.companies.take(clean, all).map(Batch::Companies),
        "users.csv" => sync.users.take(clean, all).map(Batch::Users),
        "activity_types.csv" => {
            (sync.setup.activity_types.take(clean, all)).map(Batch::ActivityTypes)
        }
        "credit_classes.csv" => {
            (sync.setup.credit_classes.take(clean, all)).map(Batch::CreditClasses)
        }
        "action_codes.csv" => (sync.setup.action_codes.take(clean, all)).map(Batch::ActionCodes),
        "reason_codes.csv" => (sync.setup.reason_codes.take(clean, all)).map(Batch::ReasonCodes),
        "rules.csv" => sync.setup.rules.take(clean, all).map(Batch::Rules),
        "calendar.csv" => sync.setup.calendar.take(clean, all).map(Batch::Calendar),
        "customers.csv" => sync.customers.take(clean, all).map(Batch::Customers),
        "contacts.csv" => sync.contacts.take(clean, all).map(Batch::Contacts),
        "payments.csv" => sync.payments.take(clean, all).map(Batch::Payments),
        "payment_applications.csv" => sync.applications.take(clean, all).map(Batch::Applications),
        _ => (sync.invoices.take(clean, all))
            .map(|rows| Batch::Invoices(rows, std::mem::take(&mut sync.replaced))),
    };
    match batch {
        Some(batch) => send_rows(sync, batch, text).map(|()| true),
        None => Ok(false),
    }
}

/// References that may point forward within a file are checked once it is read.
fn after_file(sync: &mut Sync, name: &str) {
    match name {
        "users.csv" => forward_references(sync, name, "manager", |s, k| s.users.exists(k)),
        "customers.csv" => {
            forward_references(sync, name, "parent_id", |s, k| s.customers.exists(k))
        }
        _ => {}
    }
}

/// Pending references noted as `(file, column, key, line)` while reading.
fn forward_references(
    sync: &mut Sync,
    name: &str,
    column: &str,
    exists: impl Fn(&Sync, &str) -> bool,
) {
    let pending = std::mem::take(&mut sync.forward);
    for (target, line) in pending {
        if !exists(sync, &target) {
            let shown = target
                .rsplit(arrears_store::KEY_SEP)
                .next()
                .unwrap_or(&target)
                .to_owned();
            let what = if column == "manager" {
                "user"
            } else {
                "customer"
            };
            sync.problems.push(
                name,
                line,
                column,
                format!("{what} {shown:?} is neither in the store nor in this sync"),
            );
        }
    }
}
