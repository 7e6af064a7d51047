//! The invoices the store holds, as the item pages give them: what a sync compares against
//! and patches, then writes back page by page.

use foldhash::{HashMap, HashSet};

use arrears_domain::{Item, Money, TranType};
use arrears_store::pages::{self, IndexedItem, PAGES};
use arrears_store::{Key, Store, StoreError, StoredInvoice, order_prefix, split_key};
use chrono::NaiveDate;

use crate::keyed::Keyed;
use crate::table::room_per_page;

/// One stored invoice, packed: ten million of them are held at once.
#[derive(Clone, Debug)]
pub struct Entry {
    pub hash: i64,
    /// `amount`, `balance`, `amount_hc`, `balance_hc`.
    amounts: [Money; 4],
    tran_date: NaiveDate,
    due_date: Option<NaiveDate>,
    pub closing_date: Option<NaiveDate>,
    /// Number of the customer in its company's list.
    customer: u32,
    /// The line of this sync's `invoices.csv` that brought it (0: none).
    pub seen: u32,
    currency: u16,
    tran_type: TranType,
}

impl Entry {
    fn of(i: &IndexedItem<'_>, customer: u32, seen: u32, currency: u16) -> Entry {
        let item = &i.item;
        Entry {
            hash: i.hash,
            amounts: [item.amount, item.balance, item.amount_hc, item.balance_hc],
            tran_date: item.tran_date,
            due_date: item.due_date,
            closing_date: item.closing_date,
            customer,
            seen,
            currency,
            tran_type: item.tran_type,
        }
    }

    fn item(&self) -> Item {
        let [amount, balance, amount_hc, balance_hc] = self.amounts;
        Item {
            tran_type: self.tran_type,
            tran_date: self.tran_date,
            due_date: self.due_date,
            amount,
            balance,
            amount_hc,
            balance_hc,
            closing_date: self.closing_date,
            excluded_hc: Money::ZERO,
            plan: None,
        }
    }
}

#[derive(Default)]
struct Company {
    customers: Vec<Key>,
    numbers: HashMap<Key, u32>,
    /// Every invoice by its `tran_id`, in the order read: filled and walked in order.
    items: Keyed<Entry>,
    dirty: HashSet<u32>,
    last: Option<u32>,
}

impl Company {
    /// The customer's number; pages and files list a customer's items together, so the last
    /// number asked for is usually the one.
    fn number(&mut self, customer: &str) -> u32 {
        if let Some(last) = self
            .last
            .filter(|n| self.customers[*n as usize] == customer)
        {
            return last;
        }
        let n = match self.numbers.get(customer) {
            Some(n) => *n,
            None => {
                let n = self.customers.len() as u32;
                self.customers.push(customer.into());
                self.numbers.insert(customer.into(), n);
                n
            }
        };
        self.last = Some(n);
        n
    }

    fn page(&self, entry: &Entry) -> u32 {
        pages::page_of(&self.customers[entry.customer as usize])
    }

    fn reserve(&mut self, items: usize) {
        self.items.reserve(items);
    }

    /// Adds or replaces invoice `tran`; gives the one replaced.
    fn put(&mut self, tran: &str, entry: Entry) -> Option<Entry> {
        match self.items.locate(tran) {
            Ok(place) => Some(std::mem::replace(self.items.at_mut(place), entry)),
            Err(hash) => {
                self.items.put(tran.into(), hash, entry);
                None
            }
        }
    }
}

/// A stored invoice found by [`InvoiceIndex::find`].
pub struct Found<'a> {
    pub entry: &'a mut Entry,
    customers: &'a [Key],
    dirty: &'a mut HashSet<u32>,
}

impl Found<'_> {
    /// The invoice as it stands, under `company` and `tran`.
    pub fn stored(&self, company: &str, tran: &str) -> StoredInvoice {
        StoredInvoice {
            company_id: company.to_owned(),
            tran_id: tran.to_owned(),
            customer_id: self.customers[self.entry.customer as usize].to_string(),
            item: self.entry.item(),
        }
    }

    /// Moves the closing date; its page needs writing.
    pub fn set_closing(&mut self, date: Option<NaiveDate>) {
        self.entry.closing_date = date;
        self.dirty.insert(pages::page_of(
            &self.customers[self.entry.customer as usize],
        ));
    }
}

/// The number of currency `code` among `currencies`, added when new.
fn currency_number(currencies: &mut Vec<String>, code: &str) -> u16 {
    match currencies.iter().position(|c| c == code) {
        Some(n) => n as u16,
        None => {
            currencies.push(code.to_owned());
            (currencies.len() - 1) as u16
        }
    }
}

/// Every stored invoice of every company, by company and `tran_id`.
#[derive(Default)]
pub struct InvoiceIndex {
    companies: HashMap<String, Company>,
    currencies: Vec<String>,
    /// Invoices this sync is expected to hold in all, once guessed (0: not guessed).
    expected: usize,
}

impl InvoiceIndex {
    pub async fn load(store: &Store) -> Result<InvoiceIndex, StoreError> {
        let mut index = InvoiceIndex::default();
        let mut loaded: HashMap<String, Vec<(Key, Entry)>> = HashMap::default();
        for (company, items) in store.item_counts().await? {
            loaded.insert(company.clone(), Vec::with_capacity(items));
            index.companies.insert(company, Company::default());
        }
        // The store holds each invoice once, in one page: each is listed without looking for
        // it first, and no page needs writing.
        store
            .item_pages(None, |company, _, data| {
                let InvoiceIndex {
                    companies,
                    currencies,
                    ..
                } = &mut index;
                if !companies.contains_key(company) {
                    companies.insert(company.to_owned(), Company::default());
                    loaded.insert(company.to_owned(), Vec::new());
                }
                let (Some(c), Some(items)) = (companies.get_mut(company), loaded.get_mut(company))
                else {
                    return Ok(());
                };
                pages::decode(&data, |i| {
                    let currency = currency_number(currencies, i.currency);
                    let entry = Entry::of(&i, c.number(i.customer_id), 0, currency);
                    items.push((i.tran_id.into(), entry));
                })
            })
            .await?;
        for (company, items) in loaded {
            if let Some(c) = index.companies.get_mut(&company) {
                c.items = Keyed::from_unique(items);
            }
        }
        Ok(index)
    }

    /// Adds or replaces an invoice brought by `line`; the pages it leaves and joins need
    /// writing. Gives the stored invoice it replaces, if any.
    pub fn insert(
        &mut self,
        company: &str,
        i: &IndexedItem<'_>,
        line: u32,
    ) -> Option<StoredInvoice> {
        let currency = currency_number(&mut self.currencies, i.currency);
        if !self.companies.contains_key(company) {
            // A company first met after the rows were guessed gets room for the rows still to
            // come: its list then grows no more (the room it does not fill is never touched).
            let mut new = Company::default();
            new.reserve(self.expected.saturating_sub(self.indexed()));
            self.companies.insert(company.to_owned(), new);
        }
        let c = self.companies.get_mut(company)?;
        let entry = Entry::of(i, c.number(i.customer_id), line, currency);
        let page = c.page(&entry);
        c.dirty.insert(page);
        let old = c.put(i.tran_id, entry)?;
        let old_page = c.page(&old);
        c.dirty.insert(old_page);
        // An invoice this sync brought before is not stored (a key read twice is refused).
        (old.seen == 0).then(|| StoredInvoice {
            company_id: company.to_owned(),
            tran_id: i.tran_id.to_owned(),
            customer_id: c.customers[old.customer as usize].to_string(),
            item: old.item(),
        })
    }

    /// Makes room for `rows` invoices in all, shared among the companies as the invoices
    /// indexed so far are.
    pub fn expect(&mut self, rows: usize) {
        self.expected = rows;
        let indexed = self.indexed();
        if indexed == 0 {
            return;
        }
        for c in self.companies.values_mut() {
            let share = rows.saturating_mul(c.items.len()) / indexed;
            c.reserve(share.saturating_sub(c.items.len()));
        }
    }

    /// Invoices indexed so far.
    fn indexed(&self) -> usize {
        self.companies.values().map(|c| c.items.len()).sum()
    }

    /// A stored invoice, to check and mark in one lookup.
    pub fn find(&mut self, company: &str, tran: &str) -> Option<Found<'_>> {
        let c = self.companies.get_mut(company)?;
        Some(Found {
            entry: c.items.get_mut(tran)?,
            customers: &c.customers,
            dirty: &mut c.dirty,
        })
    }

    pub fn get(&self, company: &str, tran: &str) -> Option<&Entry> {
        self.companies.get(company)?.items.get(tran)
    }

    /// The invoice under a joined `company␟tran_id` key.
    pub fn get_key(&self, key: &str) -> Option<&Entry> {
        let (company, tran) = split_key(key)?;
        self.get(company, tran)
    }

    /// Encodes every page that changed and hands it to `each(company_id, page, data)`.
    pub fn changed_pages<E>(
        &self,
        mut each: impl FnMut(&str, u32, Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        for (company_id, c) in &self.companies {
            if c.dirty.is_empty() {
                continue;
            }
            let customer_pages: Vec<u32> = c
                .customers
                .iter()
                .map(|name| pages::page_of(name))
                .collect();
            let mut order: Vec<u32> = (0..c.customers.len() as u32).collect();
            order.sort_unstable_by(|a, b| c.customers[*a as usize].cmp(&c.customers[*b as usize]));
            let mut rank = vec![0u32; order.len()];
            for (r, customer) in order.into_iter().enumerate() {
                rank[customer as usize] = r as u32;
            }
            // Each item with what orders it in its page: its customer's rank, then its
            // tran_id (see `order_prefix`).
            let room = room_per_page(c.items.len());
            let mut buckets: HashMap<u32, Vec<(u32, u128, &str, &Entry)>> = (c.dirty.iter())
                .map(|p| (*p, Vec::with_capacity(room)))
                .collect();
            for (tran, entry) in c.items.iter() {
                let customer = entry.customer as usize;
                if let Some(bucket) = buckets.get_mut(&customer_pages[customer]) {
                    bucket.push((rank[customer], order_prefix(tran), tran, entry));
                }
            }
            for page_no in 0..PAGES {
                let Some(mut bucket) = buckets.remove(&page_no) else {
                    continue;
                };
                bucket.sort_unstable_by(|a, b| {
                    (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| a.2.cmp(b.2))
                });
                let mut page = pages::PageWriter::with_items(bucket.len());
                for (_, _, tran, entry) in bucket {
                    let indexed = IndexedItem {
                        customer_id: &c.customers[entry.customer as usize],
                        tran_id: tran,
                        currency: &self.currencies[entry.currency as usize],
                        hash: entry.hash,
                        item: entry.item(),
                    };
                    page.push(&indexed);
                }
                each(company_id, page_no, page.finish())?;
            }
        }
        Ok(())
    }
}
