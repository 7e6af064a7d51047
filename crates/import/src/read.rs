//! Reading the folder: each file in turn, rows checked and handed to the writer in batches,
//! and each table's keys freed once no later file needs them.

use std::path::Path;

use arrears_store::{
    ActionCodeRow, ActivityTypeRow, ApplicationRow, CalendarRow, CompanyRow, ContactRow,
    CreditClassRow, CustomerRow, InvoiceRow, PaymentRow, ReasonCodeRow, Record, RuleRow, UserRow,
};
use csv::ByteRecord;

use crate::csvfile::CsvFile;
use crate::rows::{application, company, contact, customer, invoice, payment, user};
use crate::stored::Part;
use crate::table::KeyPage;
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
    for name in crate::FILES {
        match name {
            "customers.csv" => {
                take_stored(sync)?;
                take_stored(sync)?;
            }
            "contacts.csv" | "payments.csv" | "payment_applications.csv" => take_stored(sync)?,
            "invoices.csv" => {
                settle_applications(sync)?;
                take_stored(sync)?;
            }
            _ => {}
        }
        if has(name) {
            read(sync, dir, name)?;
        }
        match name {
            "credit_classes.csv" => setup::check_default_classes(sync),
            "contacts.csv" => {
                let pages = sync.contacts.key_pages();
                sync.contacts.release();
                send_key_pages(sync, ContactRow::TABLE, pages)?;
            }
            "payment_applications.csv" => {
                let pages = sync.payments.key_pages();
                sync.payments.release();
                send_key_pages(sync, PaymentRow::TABLE, pages)?;
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
    if !dates.is_empty() {
        send(sync, Batch::ClosingDates(dates))?;
    }
    let sync = &*sync;
    sync.index.changed_pages(|company, page, data| {
        send(sync, Batch::ItemPage(company.to_owned(), page, data))
    })
}

/// Once the applications are read: the latest application of every invoice, then their keys
/// go to the writer and are freed, and the stored invoices may be read.
fn settle_applications(sync: &mut Sync) -> Result<(), Failure> {
    sync.closing = closing::closing_dates(&sync.applications);
    let pages = sync.applications.key_pages();
    sync.applications.release();
    if let Some(wanted) = sync.parts.invoices_wanted.take() {
        let _ = wanted.send(());
    }
    send_key_pages(sync, ApplicationRow::TABLE, pages)
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
        Part::Customers(table) => sync.customers = table,
        Part::Contacts(table) => sync.contacts = table,
        Part::Payments(table) => sync.payments = table,
        Part::Applications(table) => sync.applications = table,
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
    match &sync.out {
        Some(out) if out.blocking_send(batch).is_err() => {
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
    sync.progress.start();
    let mut record = ByteRecord::new();
    let mut rows: i64 = 0;
    while let Some(line) = file.next_row(&mut record, &mut sync.problems) {
        let mut f = file.fields(&record, line);
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
        sync.progress.tick(name, rows, file.position(), file.size);
        flush(sync, name, false)?;
    }
    flush(sync, name, true)?;
    after_file(sync, name);
    Ok(())
}

/// Hands the queued rows of `name` to the writer.
fn flush(sync: &mut Sync, name: &str, all: bool) -> Result<(), Failure> {
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
        _ => sync.invoices.take(clean, all).map(Batch::Invoices),
    };
    match batch {
        Some(batch) => send(sync, batch),
        None => Ok(()),
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
