//! The writing half of a sync: rows arrive in batches from the reading half and go to the
//! store in the sync's transaction, while the next batch is being read and checked.

use std::collections::HashSet;

use arrears_store::{
    ActionCodeRow, ActivityTypeRow, Actor, ApplicationRow, CalendarRow, Change, CompanyRow,
    ContactRow, CreditClassRow, CustomerRow, InvoiceRow, PaymentRow, ReasonCodeRow, RuleRow,
    StoreError, Tx, UserRow,
};
use chrono::NaiveDate;
use tokio::sync::mpsc::Receiver;

use crate::table::KeyPage;

/// Rows of one file ready to be written.
pub enum Batch {
    Companies(Vec<Change<CompanyRow>>),
    Users(Vec<Change<UserRow>>),
    ActivityTypes(Vec<Change<ActivityTypeRow>>),
    CreditClasses(Vec<Change<CreditClassRow>>),
    ActionCodes(Vec<Change<ActionCodeRow>>),
    ReasonCodes(Vec<Change<ReasonCodeRow>>),
    Rules(Vec<Change<RuleRow>>),
    Calendar(Vec<Change<CalendarRow>>),
    Customers(Vec<Change<CustomerRow>>),
    Contacts(Vec<Change<ContactRow>>),
    Payments(Vec<Change<PaymentRow>>),
    Applications(Vec<Change<ApplicationRow>>),
    Invoices(Vec<Change<InvoiceRow>>),
    /// Key pages of a table: company, page, packed keys.
    KeyPages(&'static str, Vec<KeyPage>),
    /// One item page: company, page, packed items.
    ItemPage(String, u32, Vec<u8>),
    /// What is remembered of a file: its name, stamp and line hashes, and those the store
    /// holds under that stamp (empty: none), written over only where they differ.
    LineMemory(&'static str, i64, Vec<u64>, Vec<u64>),
    /// Unchanged invoices whose closing date moves: company, tran_id, date.
    ClosingDates(Vec<(String, String, Option<NaiveDate>)>),
}

/// Writes every batch until the reader is done. Each invoice and customer a sync changes is
/// kept as it stood, valid until the sync's business date, and each new one of a company
/// already loaded is marked absent before it: the aging of a past date reads the book as that
/// day left it.
/// A customer an admin assigned in Arrears keeps that assignment.
/// Every change to the setup (companies, users, credit classes, activity types, action and
/// reason codes, rules, the calendar) is logged as `actor`'s, with the row before and after.
pub async fn write_all(
    tx: &mut Tx,
    actor: Actor<'_>,
    mut batches: Receiver<Batch>,
) -> Result<(), StoreError> {
    let day = actor.business_date;
    // The companies with invoices (customers) before this sync, read before its first
    // invoice (customer) is written.
    let mut with_invoices: Option<HashSet<String>> = None;
    let mut with_customers: Option<HashSet<String>> = None;
    // The customers an admin assigned in Arrears, whose assignment the sync keeps.
    let mut assigned: Option<HashSet<(String, String)>> = None;
    while let Some(batch) = batches.recv().await {
        match batch {
            Batch::Companies(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::Users(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::ActivityTypes(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::CreditClasses(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::ActionCodes(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::ReasonCodes(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::Rules(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::Calendar(rows) => tx.upsert_logged(actor, &rows).await?,
            Batch::Customers(rows) => {
                if with_customers.is_none() {
                    with_customers = Some(tx.customer_companies().await?);
                }
                let loaded = with_customers.get_or_insert_default();
                tx.keep_customer_versions(day, &rows, loaded).await?;
                tx.upsert(&rows).await?;
                if assigned.is_none() {
                    assigned = Some(tx.assigned_in_arrears().await?);
                }
                tx.keep_assignments(&rows, assigned.get_or_insert_default())
                    .await?;
            }
            Batch::Contacts(rows) => tx.upsert(&rows).await?,
            Batch::Payments(rows) => tx.upsert(&rows).await?,
            Batch::Applications(rows) => tx.upsert(&rows).await?,
            Batch::Invoices(rows) => {
                if with_invoices.is_none() {
                    with_invoices = Some(tx.invoice_companies().await?);
                }
                let loaded = with_invoices.get_or_insert_default();
                tx.keep_invoice_versions(day, &rows, loaded).await?;
                tx.upsert(&rows).await?;
            }
            Batch::LineMemory(file, stamp, lines, stored) => {
                tx.put_line_memory(file, stamp, &lines, &stored).await?;
            }
            Batch::ItemPage(company, page, data) => tx.put_page(&company, page, &data).await?,
            Batch::ClosingDates(dates) => {
                let keys: Vec<(&str, &str)> = dates
                    .iter()
                    .map(|(company, tran, _)| (company.as_str(), tran.as_str()))
                    .collect();
                tx.keep_invoices(day, &keys).await?;
                tx.set_closing_dates(&dates).await?;
            }
            Batch::KeyPages(table, pages) => {
                for (company, page, data) in pages {
                    tx.put_key_page(table, &company, page, &data).await?;
                }
            }
        }
    }
    Ok(())
}
