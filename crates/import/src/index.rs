//! The invoices the store holds, as the item pages give them: what a sync compares against
//! and patches, then writes back page by page.

use foldhash::{HashMap, HashSet};

use arrears_domain::{Item, Money, TranType};
use arrears_store::pages::{self, IndexedItem, PAGES};
use arrears_store::{KEY_SEP, Key, Store, StoreError, Tx};
use chrono::NaiveDate;

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
        }
    }
}

#[derive(Default)]
struct Company {
    customers: Vec<Key>,
    numbers: HashMap<Key, u32>,
    items: HashMap<Key, Entry>,
    dirty: HashSet<u32>,
}

impl Company {
    fn number(&mut self, customer: &str) -> u32 {
        if let Some(n) = self.numbers.get(customer) {
            return *n;
        }
        let n = self.customers.len() as u32;
        self.customers.push(customer.into());
        self.numbers.insert(customer.into(), n);
        n
    }

    fn page(&self, entry: &Entry) -> u32 {
        pages::page_of(&self.customers[entry.customer as usize])
    }
}

/// Every stored invoice of every company, by company and `tran_id`.
#[derive(Default)]
pub struct InvoiceIndex {
    companies: HashMap<String, Company>,
    currencies: Vec<String>,
}

impl InvoiceIndex {
    pub async fn load(store: &Store) -> Result<InvoiceIndex, StoreError> {
        let mut index = InvoiceIndex::default();
        for (company, bytes) in store.page_bytes(None).await? {
            let items = usize::try_from(bytes / pages::MIN_ITEM_BYTES).unwrap_or(0);
            index
                .companies
                .entry(company)
                .or_default()
                .items
                .reserve(items);
        }
        store
            .item_pages(None, |company, _, data| {
                pages::decode(data, |i| index.insert(company, &i, 0))
            })
            .await?;
        for company in index.companies.values_mut() {
            company.dirty.clear();
        }
        Ok(index)
    }

    fn currency(&mut self, code: &str) -> u16 {
        match self.currencies.iter().position(|c| c == code) {
            Some(n) => n as u16,
            None => {
                self.currencies.push(code.to_owned());
                (self.currencies.len() - 1) as u16
            }
        }
    }

    /// Adds or replaces an invoice brought by `line`; the pages it leaves and joins need writing.
    pub fn insert(&mut self, company: &str, i: &IndexedItem<'_>, line: u32) {
        let currency = self.currency(i.currency);
        let c = self.companies.entry(company.to_owned()).or_default();
        let item = &i.item;
        let entry = Entry {
            hash: i.hash,
            amounts: [item.amount, item.balance, item.amount_hc, item.balance_hc],
            tran_date: item.tran_date,
            due_date: item.due_date,
            closing_date: item.closing_date,
            customer: c.number(i.customer_id),
            seen: line,
            currency,
            tran_type: item.tran_type,
        };
        let page = c.page(&entry);
        c.dirty.insert(page);
        if let Some(old) = c.items.insert(i.tran_id.into(), entry) {
            let old_page = c.page(&old);
            c.dirty.insert(old_page);
        }
    }

    /// Notes that `line` brought an unchanged invoice, whose closing date may move.
    pub fn mark_seen(
        &mut self,
        company: &str,
        tran: &str,
        line: u32,
        closing: Option<Option<NaiveDate>>,
    ) {
        let Some(c) = self.companies.get_mut(company) else {
            return;
        };
        let Some(entry) = c.items.get_mut(tran) else {
            return;
        };
        entry.seen = line;
        if let Some(date) = closing {
            entry.closing_date = date;
            let page = pages::page_of(&c.customers[entry.customer as usize]);
            c.dirty.insert(page);
        }
    }

    pub fn get(&self, company: &str, tran: &str) -> Option<&Entry> {
        self.companies.get(company)?.items.get(tran)
    }

    /// The invoice under a joined `company␟tran_id` key.
    pub fn get_key(&self, key: &str) -> Option<&Entry> {
        let (company, tran) = key.split_once(KEY_SEP)?;
        self.get(company, tran)
    }

    /// Moves an unchanged invoice's closing date.
    pub fn set_closing(&mut self, key: &str, date: Option<NaiveDate>) {
        let Some((company, tran)) = key.split_once(KEY_SEP) else {
            return;
        };
        let Some(c) = self.companies.get_mut(company) else {
            return;
        };
        let Some(entry) = c.items.get_mut(tran) else {
            return;
        };
        entry.closing_date = date;
        let page = pages::page_of(&c.customers[entry.customer as usize]);
        c.dirty.insert(page);
    }

    /// Writes every page that changed.
    pub async fn write(&self, tx: &mut Tx) -> Result<(), StoreError> {
        for (company_id, c) in &self.companies {
            if c.dirty.is_empty() {
                continue;
            }
            let customer_pages: Vec<u32> = c
                .customers
                .iter()
                .map(|name| pages::page_of(name))
                .collect();
            let mut buckets: HashMap<u32, Vec<(&str, &Entry)>> =
                c.dirty.iter().map(|p| (*p, Vec::new())).collect();
            for (tran, entry) in &c.items {
                if let Some(bucket) = buckets.get_mut(&customer_pages[entry.customer as usize]) {
                    bucket.push((tran, entry));
                }
            }
            let mut data = Vec::new();
            for page in 0..PAGES {
                let Some(bucket) = buckets.get_mut(&page) else {
                    continue;
                };
                bucket.sort_unstable_by(|a, b| {
                    (&c.customers[a.1.customer as usize], a.0)
                        .cmp(&(&c.customers[b.1.customer as usize], b.0))
                });
                data.clear();
                for (tran, entry) in bucket.iter() {
                    let indexed = IndexedItem {
                        customer_id: &c.customers[entry.customer as usize],
                        tran_id: tran,
                        currency: &self.currencies[entry.currency as usize],
                        hash: entry.hash,
                        item: entry.item(),
                    };
                    pages::encode(&mut data, &indexed);
                }
                tx.put_page(company_id, page, &data).await?;
            }
        }
        Ok(())
    }
}
