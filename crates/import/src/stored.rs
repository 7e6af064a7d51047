//! What the store already holds, read by one task in the order the files need it, while the
//! folder is being read and checked on another thread. The keys of contacts, payments and
//! applications are read only once a row of the sync needs them: a file whose every line is
//! unchanged needs none (see the line memory).

use std::collections::VecDeque;

use foldhash::HashMap;

use arrears_store::{ApplicationRow, ContactRow, CustomerRow, Key, PaymentRow, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::index::InvoiceIndex;
use crate::table::Table;

/// Which stored parts a sync needs.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    pub currencies: bool,
    pub customers: bool,
    pub contacts: bool,
    pub payments: bool,
    pub applications: bool,
    pub invoices: bool,
}

/// One stored part, as it arrives.
pub enum Part {
    Currencies(HashMap<Key, String>),
    Customers(Table<CustomerRow>),
    Contacts(Table<ContactRow>),
    Payments(Table<PaymentRow>),
    Applications(Table<ApplicationRow>),
    Invoices(InvoiceIndex),
}

/// The tables whose stored keys are read only when wanted, in the order they are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lazy {
    Contacts,
    Payments,
    Applications,
}

/// The parts still to come, in the order the reading half takes them, and the signal that
/// lets the invoices be read: only once the applications' keys are freed, so that the two
/// largest parts are never held at once.
pub struct Parts {
    pub next: mpsc::Receiver<Result<Part, StoreError>>,
    pub invoices_wanted: Option<oneshot::Sender<()>>,
    /// Whether each lazy table is wanted, in order: the reading half says so once a row needs
    /// it, or once no row can; a table not wanted never arrives.
    pub wanted: VecDeque<(Lazy, oneshot::Sender<bool>)>,
}

/// Starts reading the parts of the store that `needs` names; unneeded ones arrive empty.
pub fn load(store: &Store, needs: Needs) -> Parts {
    let (tx, rx) = mpsc::channel(1);
    let (wanted, invoices_wanted) = oneshot::channel();
    let (contacts, contacts_wanted) = oneshot::channel();
    let (payments, payments_wanted) = oneshot::channel();
    let (applications, applications_wanted) = oneshot::channel();
    let store = store.clone();
    tokio::spawn(async move {
        let parts = async {
            // The stored invoices are read on a task of their own from the start, beside the
            // currencies and the customers' keys (which the first file waits for on one
            // core), as long as no row wants the keys of contacts, payments or applications
            // (a re-sync whose line memory knows those files unchanged). Once one does, they
            // are dropped and read at the end, as a sync that reads every row needs: the
            // largest parts are never held at once.
            let mut early = needs.invoices.then(|| {
                let store = store.clone();
                Stopped(tokio::spawn(
                    async move { InvoiceIndex::load(&store).await },
                ))
            });
            let currencies = if needs.currencies {
                store.customer_currencies().await?
            } else {
                HashMap::default()
            };
            send(&tx, Part::Currencies(currencies)).await?;
            let customers = Table::paged("customers.csv", &store, needs.customers).await?;
            send(&tx, Part::Customers(customers)).await?;
            let mut drop_early = || early = None;
            if contacts_wanted.await.unwrap_or(false) {
                drop_early();
                let contacts = Table::paged("contacts.csv", &store, needs.contacts).await?;
                send(&tx, Part::Contacts(contacts)).await?;
            }
            if payments_wanted.await.unwrap_or(false) {
                drop_early();
                let payments = Table::paged("payments.csv", &store, needs.payments).await?;
                send(&tx, Part::Payments(payments)).await?;
            }
            if applications_wanted.await.unwrap_or(false) {
                drop_early();
                let applications =
                    Table::paged("payment_applications.csv", &store, needs.applications).await?;
                send(&tx, Part::Applications(applications)).await?;
            }
            invoices_wanted.await.map_err(|_| Stop::Gone)?;
            let index = match &mut early {
                Some(Stopped(index)) => match index.await {
                    Ok(loaded) => loaded?,
                    // Never aborted once awaited: only a panic ends it early, and goes on here.
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                },
                None if needs.invoices => InvoiceIndex::load(&store).await?,
                None => InvoiceIndex::default(),
            };
            send(&tx, Part::Invoices(index)).await
        };
        if let Err(Stop::Store(e)) = parts.await {
            let _ = tx.send(Err(e)).await;
        }
    });
    Parts {
        next: rx,
        invoices_wanted: Some(wanted),
        wanted: VecDeque::from([
            (Lazy::Contacts, contacts),
            (Lazy::Payments, payments),
            (Lazy::Applications, applications),
        ]),
    }
}

/// A task stopped when it is dropped: a sync that ends early, or no longer needs what the
/// task reads, does not go on reading it.
struct Stopped<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Stopped<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why loading stopped early.
enum Stop {
    Store(StoreError),
    /// The reading half has stopped and wants nothing more.
    Gone,
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

async fn send(tx: &mpsc::Sender<Result<Part, StoreError>>, part: Part) -> Result<(), Stop> {
    tx.send(Ok(part)).await.map_err(|_| Stop::Gone)
}
