//! Closing dates from applications, and the checks that wait until every file is read.

use arrears_store::{ApplicationRow, KEY_SEP, Key, key, split_key};
use chrono::NaiveDate;

use crate::Sync;
use crate::keyed::Keyed;
use crate::table::Table;

/// The latest application of an invoice, and the first line of this sync that writes an
/// application to it.
#[derive(Clone, Copy, Debug)]
pub struct Applied {
    pub date: NaiveDate,
    /// 0 when this sync writes none: every application to it is stored as it stands, and
    /// was checked when it was written (invoices are never removed). Also 0 once a good row
    /// of this sync's `invoices.csv` brings the invoice: it is known, and takes its closing
    /// date from here, so nothing is left to check once every file is read.
    pub line: u32,
}

/// Latest effective application date of every invoice, from the store and this sync.
pub(crate) fn closing_dates(applications: &Table<ApplicationRow>) -> Keyed<Applied> {
    let mut latest: Keyed<Applied> = Keyed::default();
    latest.reserve(applications.len());
    for (k, slot) in applications.slots() {
        let mut parts = k.split(KEY_SEP);
        let (Some(company), Some(_), Some(tran), Some(date)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            slot.stored().and_then(|s| s.date),
        ) else {
            continue;
        };
        let applied =
            latest.get_or_insert_with(key(&[company, tran]), || Applied { date, line: 0 });
        applied.date = applied.date.max(date);
        if slot.written() && (applied.line == 0 || slot.line() < applied.line) {
            applied.line = slot.line();
        }
    }
    latest
}

/// Applications this sync writes must name known invoices; a new or changed application
/// moves the closing date of a stored, closed invoice that this sync did not bring.
pub(crate) fn check_after_reading(sync: &mut Sync) {
    let mut unknown: Vec<(u64, Key)> = Vec::new();
    for (invoice, applied) in sync.closing.iter().filter(|(_, a)| a.line != 0) {
        let Some((company, tran)) = split_key(invoice) else {
            continue;
        };
        let Some(mut found) = sync.index.find(company, tran) else {
            if !sync.bad_invoices.contains_key(invoice.as_str()) {
                unknown.push((u64::from(applied.line), invoice.clone()));
            }
            continue;
        };
        let stored = found.entry.closing_date;
        if found.entry.seen == 0 && stored.is_some() && stored != Some(applied.date) {
            sync.replaced.push(found.stored(company, tran));
            found.set_closing(Some(applied.date));
            sync.closing_updates
                .push((company.to_owned(), tran.to_owned(), Some(applied.date)));
        }
    }
    for (invoice, line) in std::mem::take(&mut sync.unresolved_invoices) {
        if sync.index.get_key(&invoice).is_none() && !sync.bad_invoices.contains_key(&invoice) {
            unknown.push((line, invoice));
        }
    }
    unknown.sort();
    for (line, invoice) in unknown {
        let tran = invoice.rsplit(KEY_SEP).next().unwrap_or_default();
        sync.problems.push(
            "payment_applications.csv",
            line,
            "tran_id",
            format!("invoice {tran:?} is neither in the store nor in this sync"),
        );
    }
}
