//! The writing half of a sync: rows arrive in batches from the reading half and go to the
//! store in the sync's transaction, while the next batch is being read and checked.

use std::collections::HashSet;

use arrears_store::{
    ActionCodeRow, ActivityTypeRow, Actor, ApplicationRow, CalendarRow, Change, CompanyRow,
    ContactRow, CreditClassRow, CustomerRow, InvoiceRow, PaymentRow, ReasonCodeRow, RuleRow,
    StoreError, StoredInvoice, Tx, UserRow,
};
use chrono::NaiveDate;
use std::sync::Arc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    /// Invoice rows, and stored invoices as they stood before this sync (their versions).
    Invoices(Vec<Change<InvoiceRow>>, Vec<StoredInvoice>),
    /// Key pages of a table: company, page, packed keys.
    KeyPages(&'static str, Vec<KeyPage>),
    /// One item page: company, page, packed items.
    ItemPage(String, u32, Vec<u8>),
    /// What is remembered of a file: its name, stamp and line hashes, and those the store
    /// holds under that stamp (empty: none), written over only where they differ.
    LineMemory(&'static str, i64, Vec<u64>, Vec<u64>),
    /// Unchanged invoices whose closing date moves: company, tran_id, date; and stored
    /// invoices as they stood before this sync (their versions).
    ClosingDates(Vec<(String, String, Option<NaiveDate>)>, Vec<StoredInvoice>),
}

impl Batch {
    /// About the memory the batch holds besides the text of its rows: the rows themselves,
    /// the pages' data.
    fn bytes(&self) -> usize {
        fn rows<R>(rows: &[Change<R>]) -> usize {
            size_of_val(rows)
        }
        match self {
            Batch::Companies(r) => rows(r),
            Batch::Users(r) => rows(r),
            Batch::ActivityTypes(r) => rows(r),
            Batch::CreditClasses(r) => rows(r),
            Batch::ActionCodes(r) => rows(r),
            Batch::ReasonCodes(r) => rows(r),
            Batch::Rules(r) => rows(r),
            Batch::Calendar(r) => rows(r),
            Batch::Customers(r) => rows(r),
            Batch::Contacts(r) => rows(r),
            Batch::Payments(r) => rows(r),
            Batch::Applications(r) => rows(r),
            Batch::Invoices(r, stored) => rows(r) + stored_bytes(stored),
            Batch::KeyPages(_, pages) => pages.iter().map(|(c, _, d)| c.len() + d.len()).sum(),
            Batch::ItemPage(company, _, data) => company.len() + data.len(),
            Batch::LineMemory(_, _, lines, stored) => (lines.len() + stored.len()) * 8,
            Batch::ClosingDates(dates, stored) => {
                dates.len() * (size_of::<(String, String, Option<NaiveDate>)>() + 32)
                    + stored_bytes(stored)
            }
        }
    }
}

/// About the memory stored invoices hold, their ids' text included.
fn stored_bytes(stored: &[StoredInvoice]) -> usize {
    stored.len() * (size_of::<StoredInvoice>() + 32)
}

/// Memory the batches on their way from the reading half to the writing half may hold, in
/// KiB. When the writer is the slower half (SQLite on a slow core, or PostgreSQL), the rows
/// queued cover the reader's pauses: a table of keys grown to a file's size, the key pages
/// worked out once a file is read, the item pages at the end. With a few batches queued the
/// writer sat idle through each of them (about a sixth of a 10M first import on SQLite on a
/// slow machine). That is the room a first book gets.
pub const QUEUE_KIB: u32 = 512 * 1024;

/// The room a sync over a stored book gets. Its writer is the slower half from its first
/// changed row to the end (it rewrites every stored page a changed row falls in), and the
/// reader's pauses are short: 64 MiB of rows covers them, and more only holds memory (a 10M
/// re-sync of 5% on SQLite peaked at 2.46 GB with 512 MiB and at 2.03 GB with 64 MiB, in the
/// same time; one that reads every row peaks at 3.8 GB either way).
pub const RESYNC_QUEUE_KIB: u32 = 64 * 1024;

/// A batch on its way to the writer, with the room it takes in the queue.
pub struct Queued(Batch, OwnedSemaphorePermit);

/// The reading half's end of the queue to the writer.
pub struct Queue {
    tx: UnboundedSender<Queued>,
    room: Arc<Semaphore>,
    /// The whole room, in KiB.
    kib: u32,
}

/// The writing half's end: the batches, and the room they take, given back as each is written.
pub struct Batches {
    rx: UnboundedReceiver<Queued>,
    room: Arc<Semaphore>,
}

/// A queue from the reading half to the writing half, holding at most `kib` KiB.
pub fn queue(kib: u32) -> (Queue, Batches) {
    let kib = kib.max(1);
    let (tx, rx) = unbounded_channel();
    let room = Arc::new(Semaphore::new(kib as usize));
    let batches = Batches {
        rx,
        room: Arc::clone(&room),
    };
    (Queue { tx, room, kib }, batches)
}

impl Queue {
    /// Queues `batch`, whose rows hold `text` bytes of text (about the bytes of the lines they
    /// were read from), once there is room for it: a batch larger than the whole queue waits
    /// for it to empty. Called from the reading thread; `false` once the writer has stopped.
    pub fn blocking_send(&self, batch: Batch, text: usize) -> bool {
        let kib = u32::try_from((batch.bytes() + text) / 1024).unwrap_or(self.kib);
        let room = Arc::clone(&self.room).acquire_many_owned(kib.clamp(1, self.kib));
        match tokio::runtime::Handle::current().block_on(room) {
            Ok(room) => self.tx.send(Queued(batch, room)).is_ok(),
            Err(_) => false,
        }
    }
}

/// Writes every batch until the reader is done. Once the writer stops, for any reason, the
/// reader waits for room no longer. Each invoice and customer a sync changes is
/// kept as it stood, valid until the sync's business date, and each new one of a company
/// already loaded is marked absent before it: the aging of a past date reads the book as that
/// day left it.
/// A customer an admin assigned in Arrears keeps that assignment.
/// Every change to the setup (companies, users, credit classes, activity types, action and
/// reason codes, rules, the calendar) is logged as `actor`'s, with the row before and after.
pub async fn write_all(
    tx: &mut Tx,
    actor: Actor<'_>,
    mut batches: Batches,
) -> Result<(), StoreError> {
    let written = async {
        tx.stage_versions().await?;
        write_each(tx, actor, &mut batches.rx).await?;
        tx.settle_versions().await
    }
    .await;
    batches.room.close();
    written
}

async fn write_each(
    tx: &mut Tx,
    actor: Actor<'_>,
    batches: &mut UnboundedReceiver<Queued>,
) -> Result<(), StoreError> {
    let day = actor.business_date;
    // The companies with invoices (customers) before this sync, read before its first
    // invoice (customer) is written.
    let mut with_invoices: Option<HashSet<String>> = None;
    let mut with_customers: Option<HashSet<String>> = None;
    // The customers an admin assigned in Arrears, whose assignment the sync keeps.
    let mut assigned: Option<HashSet<(String, String)>> = None;
    // The room a batch takes is given back once it is written.
    while let Some(Queued(batch, _room)) = batches.recv().await {
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
            Batch::Invoices(rows, stored) => {
                if with_invoices.is_none() {
                    with_invoices = Some(tx.invoice_companies().await?);
                }
                let loaded = with_invoices.get_or_insert_default();
                tx.keep_invoice_versions(day, &rows, &stored, loaded)
                    .await?;
                tx.upsert(&rows).await?;
            }
            Batch::LineMemory(file, stamp, lines, stored) => {
                tx.put_line_memory(file, stamp, &lines, &stored).await?;
            }
            Batch::ItemPage(company, page, data) => tx.put_page(&company, page, &data).await?,
            Batch::ClosingDates(dates, stored) => {
                tx.keep_invoices(day, &stored).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claiming(mib: usize) -> (Batch, usize) {
        (Batch::Invoices(Vec::new(), Vec::new()), mib << 20)
    }

    /// A reader ahead of the writer waits for room; a batch larger than the whole queue goes
    /// once it is empty; once the writer stops, the reader waits no longer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reader_waits_for_room_until_the_writer_stops() {
        let (queue, mut batches) = queue(QUEUE_KIB);
        let reading = tokio::task::spawn_blocking(move || {
            let (batch, text) = claiming(300);
            let first = queue.blocking_send(batch, text);
            let (batch, text) = claiming(300);
            // Waits until the first is written.
            let second = queue.blocking_send(batch, text);
            (first && second, queue)
        });
        let Some(Queued(_, first)) = batches.rx.recv().await else {
            panic!("the first batch never came");
        };
        // The second waits for the room the first holds.
        assert!(batches.rx.try_recv().is_err());
        drop(first);
        let Some(Queued(_, second)) = batches.rx.recv().await else {
            panic!("the second batch never came");
        };
        let (sent, queue) = reading.await.expect("the reader ran");
        assert!(sent);
        let left = (QUEUE_KIB - 300 * 1024) as usize;
        assert_eq!(batches.room.available_permits(), left);
        drop(second);
        let (queue, larger) = tokio::task::spawn_blocking(move || {
            let (batch, text) = claiming(600);
            let sent = queue.blocking_send(batch, text);
            (queue, sent)
        })
        .await
        .expect("the reader ran");
        assert!(larger);
        assert_eq!(batches.room.available_permits(), 0);
        batches.room.close();
        let after = tokio::task::spawn_blocking(move || {
            let (batch, text) = claiming(1);
            queue.blocking_send(batch, text)
        })
        .await
        .expect("the reader ran");
        assert!(!after, "a batch was queued after the writer stopped");
    }
}
