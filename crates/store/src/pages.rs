//! The item index: every invoice's aging data, packed into a few large pages per company.
//!
//! Reading ten million rows one by one costs seconds in either driver; reading a few
//! hundred pages does not. The sync keeps the pages in the same transaction as the rows,
//! so they always agree; the aging reads only pages.

use arrears_domain::{Item, Money, TranType};
use chrono::{Datelike, NaiveDate};

use crate::tx::on_tx;
use crate::{Store, StoreError, Tx, on_pool};

/// Pages per company. Items are spread by customer, so a page holds whole customers.
pub const PAGES: u32 = 256;

/// The page that holds a customer's items.
pub fn page_of(customer_id: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in customer_id.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % PAGES
}

/// One item as the index keeps it, borrowed from a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedItem<'p> {
    pub customer_id: &'p str,
    pub tran_id: &'p str,
    pub currency: &'p str,
    /// The content hash of its row, for the next sync.
    pub hash: i64,
    pub item: Item,
}

/// A little less than an item of a typical book takes in a page (about 30 bytes, with
/// ten-character ids): what holds the items of pages is sized from their bytes by this, so
/// that it rarely has to grow (and be copied) as they are read.
const TYPICAL_ITEM_BYTES: i64 = 26;

/// The fewest bytes an item takes in a page of the first layout (a typical one took 80).
const FIRST_LAYOUT_ITEM_BYTES: i64 = 64;

/// What a page of the present layout starts with. A page of the first layout starts with
/// the length of its first customer's id, never zero.
const MAGIC: [u8; 4] = *b"\0\0P2";

/// The bits of an item's first byte, after its `tran_type` in the two lowest.
const NEW_CUSTOMER: u8 = 1 << 2;
const NEW_CURRENCY: u8 = 1 << 3;
const HAS_DUE: u8 = 1 << 4;
const HAS_CLOSING: u8 = 1 << 5;
/// `balance` is `amount`.
const BALANCE_IS_AMOUNT: u8 = 1 << 6;
/// `amount_hc` is `amount` and `balance_hc` is `balance`.
const HC_IS_SAME: u8 = 1 << 7;

fn days(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A signed number as a variable-length integer: small ones of either sign take one byte.
fn put_signed(out: &mut Vec<u8>, n: i64) {
    put_varint(out, ((n << 1) ^ (n >> 63)) as u64);
}

const NO_DATE: i32 = i32::MIN;

/// A text after its length in two bytes, and a date in four (key pages).
fn put_str(out: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&text.as_bytes()[..usize::from(len)]);
}

fn put_date(out: &mut Vec<u8>, date: Option<NaiveDate>) {
    let days = date.map_or(NO_DATE, |d| d.num_days_from_ce());
    out.extend_from_slice(&days.to_le_bytes());
}

/// Writes one page, item by item. An item takes a byte of flags, its `tran_id`, its hash,
/// its dates as differences (the transaction date from the item before, the others from the
/// transaction date) and its amounts as variable-length integers; a customer's id and a
/// currency are written where they change, an amount that repeats another is not written.
#[derive(Default)]
pub struct PageWriter {
    data: Vec<u8>,
    /// Where the last customer's id and currency are in `data`.
    customer: Option<(usize, usize)>,
    currency: Option<(usize, usize)>,
    tran_date: i64,
}

impl PageWriter {
    /// A writer with room for about `items` items.
    pub fn with_items(items: usize) -> PageWriter {
        PageWriter {
            data: Vec::with_capacity(items * TYPICAL_ITEM_BYTES as usize + MAGIC.len()),
            ..PageWriter::default()
        }
    }

    /// Whether `text` is the one written at `at`.
    fn repeats(&self, at: Option<(usize, usize)>, text: &str) -> bool {
        at.is_some_and(|(start, end)| self.data[start..end] == *text.as_bytes())
    }

    /// Writes `text` and gives where it is.
    fn put_text(&mut self, text: &str) -> (usize, usize) {
        put_varint(&mut self.data, text.len() as u64);
        self.data.extend_from_slice(text.as_bytes());
        (self.data.len() - text.len(), self.data.len())
    }

    /// Appends one item.
    pub fn push(&mut self, entry: &IndexedItem<'_>) {
        if self.data.is_empty() {
            self.data.extend_from_slice(&MAGIC);
        }
        let i = &entry.item;
        let mut flags = match i.tran_type {
            TranType::Invoice => 0,
            TranType::CreditMemo => 1,
            TranType::FinanceCharge => 2,
            TranType::DebitMemo => 3,
        };
        let new_customer = !self.repeats(self.customer, entry.customer_id);
        let new_currency = !self.repeats(self.currency, entry.currency);
        for (bit, set) in [
            (NEW_CUSTOMER, new_customer),
            (NEW_CURRENCY, new_currency),
            (HAS_DUE, i.due_date.is_some()),
            (HAS_CLOSING, i.closing_date.is_some()),
            (BALANCE_IS_AMOUNT, i.balance == i.amount),
            (
                HC_IS_SAME,
                i.amount_hc == i.amount && i.balance_hc == i.balance,
            ),
        ] {
            if set {
                flags |= bit;
            }
        }
        self.data.push(flags);
        if new_customer {
            self.customer = Some(self.put_text(entry.customer_id));
        }
        self.put_text(entry.tran_id);
        if new_currency {
            self.currency = Some(self.put_text(entry.currency));
        }
        let out = &mut self.data;
        out.extend_from_slice(&entry.hash.to_le_bytes());
        let tran_date = days(i.tran_date);
        put_signed(out, tran_date - self.tran_date);
        self.tran_date = tran_date;
        for date in [i.due_date, i.closing_date].into_iter().flatten() {
            put_signed(out, days(date) - tran_date);
        }
        put_signed(out, i.amount.raw());
        if i.balance != i.amount {
            put_signed(out, i.balance.raw());
        }
        if flags & HC_IS_SAME == 0 {
            put_signed(out, i.amount_hc.raw());
            put_signed(out, i.balance_hc.raw());
        }
    }

    /// The page: empty when it holds no item.
    pub fn finish(self) -> Vec<u8> {
        self.data
    }
}

/// Reads a page back, item by item.
struct Reader<'p> {
    data: &'p [u8],
    at: usize,
    /// The last customer's id and currency read, and transaction date, in days.
    customer: Option<&'p str>,
    currency: Option<&'p str>,
    tran_date: i64,
    /// Dates by their day numbers, each in the slot of its number modulo [`DATES`].
    dates: [(i32, NaiveDate); DATES],
    /// Whether an item page is of the present layout (not the first).
    dense: bool,
}

const DATES: usize = 1024;

impl<'p> Reader<'p> {
    fn new(data: &'p [u8]) -> Reader<'p> {
        Reader {
            data,
            at: 0,
            customer: None,
            currency: None,
            tran_date: 0,
            dates: [(NaiveDate::MIN.num_days_from_ce(), NaiveDate::MIN); DATES],
            dense: false,
        }
    }

    /// A reader of the items of a page of either layout, at its first item.
    fn of_items(data: &'p [u8]) -> Reader<'p> {
        let dense = data.starts_with(&MAGIC);
        Reader {
            at: if dense { MAGIC.len() } else { 0 },
            dense,
            ..Reader::new(data)
        }
    }

    /// The next item of the page, in its layout.
    fn item(&mut self) -> Result<Option<IndexedItem<'p>>, StoreError> {
        if self.dense {
            self.next()
        } else {
            self.next_first_layout()
        }
    }
}

#[cold]
fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("item page {what}"))
}

impl<'p> Reader<'p> {
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'p [u8], StoreError> {
        let bytes = self
            .data
            .get(self.at..self.at.saturating_add(n))
            .ok_or_else(|| corrupt("ends early"))?;
        self.at += n;
        Ok(bytes)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, StoreError> {
        let b = *self
            .data
            .get(self.at)
            .ok_or_else(|| corrupt("ends early"))?;
        self.at += 1;
        Ok(b)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, StoreError> {
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(u64::from(first));
        }
        let mut n = u64::from(first & 0x7f);
        for shift in (7..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(corrupt("number"))
    }

    #[inline]
    fn signed(&mut self) -> Result<i64, StoreError> {
        let n = self.varint()?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    #[inline]
    fn utf8(bytes: &'p [u8]) -> Result<&'p str, StoreError> {
        std::str::from_utf8(bytes).map_err(|_| corrupt("text"))
    }

    #[inline]
    fn text(&mut self) -> Result<&'p str, StoreError> {
        let len = usize::try_from(self.varint()?).map_err(|_| corrupt("text"))?;
        Reader::utf8(self.take(len)?)
    }

    /// A text after its length in two bytes (the first layout, and key pages).
    #[inline]
    fn fixed_text(&mut self) -> Result<&'p str, StoreError> {
        let len = u16::from_le_bytes(self.array()?);
        Reader::utf8(self.take(usize::from(len))?)
    }

    /// A date as its day number in four bytes, [`NO_DATE`] for none.
    #[inline]
    fn fixed_date(&mut self) -> Result<Option<NaiveDate>, StoreError> {
        match i32::from_le_bytes(self.array()?) {
            NO_DATE => Ok(None),
            days => self.date(i64::from(days), 0).map(Some),
        }
    }

    /// The day `days` after the day numbered `from`. A page's dates fall within a few years:
    /// each is worked out from its number once and then found in a small table.
    #[inline]
    fn date(&mut self, from: i64, days: i64) -> Result<NaiveDate, StoreError> {
        let day = from.checked_add(days).ok_or_else(|| corrupt("date"))?;
        let slot = &mut self.dates[(day as usize) % DATES];
        if i64::from(slot.0) == day {
            return Ok(slot.1);
        }
        let date = i32::try_from(day)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| corrupt("date"))?;
        *slot = (day as i32, date);
        Ok(date)
    }

    #[inline]
    fn money(&mut self) -> Result<Money, StoreError> {
        Ok(Money::from_raw(self.signed()?))
    }

    fn next(&mut self) -> Result<Option<IndexedItem<'p>>, StoreError> {
        if self.at >= self.data.len() {
            return Ok(None);
        }
        let flags = self.byte()?;
        if flags & NEW_CUSTOMER != 0 {
            self.customer = Some(self.text()?);
        }
        let tran_id = self.text()?;
        if flags & NEW_CURRENCY != 0 {
            self.currency = Some(self.text()?);
        }
        let (Some(customer_id), Some(currency)) = (self.customer, self.currency) else {
            return Err(corrupt("customer"));
        };
        let hash = i64::from_le_bytes(self.array()?);
        let tran_day = self.tran_date.checked_add(self.signed()?);
        let tran_day = tran_day.ok_or_else(|| corrupt("date"))?;
        let tran_date = self.date(tran_day, 0)?;
        self.tran_date = tran_day;
        let mut later = |bit: u8| -> Result<Option<NaiveDate>, StoreError> {
            if flags & bit == 0 {
                return Ok(None);
            }
            let days = self.signed()?;
            self.date(tran_day, days).map(Some)
        };
        let (due_date, closing_date) = (later(HAS_DUE)?, later(HAS_CLOSING)?);
        let amount = self.money()?;
        let balance = if flags & BALANCE_IS_AMOUNT != 0 {
            amount
        } else {
            self.money()?
        };
        let (amount_hc, balance_hc) = if flags & HC_IS_SAME != 0 {
            (amount, balance)
        } else {
            (self.money()?, self.money()?)
        };
        Ok(Some(indexed(
            (customer_id, tran_id, currency),
            hash,
            tran_type(flags & 3)?,
            (tran_date, due_date, closing_date),
            [amount, balance, amount_hc, balance_hc],
        )))
    }

    /// An item of a page of the first layout, which a store keeps until a sync rewrites the
    /// page: each text after its length in two bytes, each date and amount whole.
    fn next_first_layout(&mut self) -> Result<Option<IndexedItem<'p>>, StoreError> {
        if self.at >= self.data.len() {
            return Ok(None);
        }
        let (customer_id, tran_id, currency) =
            (self.fixed_text()?, self.fixed_text()?, self.fixed_text()?);
        let hash = i64::from_le_bytes(self.array()?);
        let tran_type = tran_type(self.byte()?)?;
        let tran_date = self.fixed_date()?.ok_or_else(|| corrupt("tran_date"))?;
        let (due_date, closing_date) = (self.fixed_date()?, self.fixed_date()?);
        let mut money = || -> Result<Money, StoreError> {
            Ok(Money::from_raw(i64::from_le_bytes(self.array()?)))
        };
        let amounts = [money()?, money()?, money()?, money()?];
        Ok(Some(indexed(
            (customer_id, tran_id, currency),
            hash,
            tran_type,
            (tran_date, due_date, closing_date),
            amounts,
        )))
    }
}

/// An item as a page gives it: its customer, `tran_id` and currency, its row's hash, its
/// transaction, due and closing dates, and its `amount`, `balance`, `amount_hc` and
/// `balance_hc`.
fn indexed<'p>(
    (customer_id, tran_id, currency): (&'p str, &'p str, &'p str),
    hash: i64,
    tran_type: TranType,
    (tran_date, due_date, closing_date): (NaiveDate, Option<NaiveDate>, Option<NaiveDate>),
    [amount, balance, amount_hc, balance_hc]: [Money; 4],
) -> IndexedItem<'p> {
    IndexedItem {
        customer_id,
        tran_id,
        currency,
        hash,
        item: Item {
            tran_type,
            tran_date,
            due_date,
            amount,
            balance,
            amount_hc,
            balance_hc,
            closing_date,
            excluded_hc: Money::ZERO,
            plan: None,
        },
    }
}

fn tran_type(code: u8) -> Result<TranType, StoreError> {
    Ok(match code {
        0 => TranType::Invoice,
        1 => TranType::CreditMemo,
        2 => TranType::FinanceCharge,
        3 => TranType::DebitMemo,
        other => return Err(corrupt(&format!("tran_type {other}"))),
    })
}

/// Calls `each` for every item of a page, in the order they were written.
pub fn decode<'p>(data: &'p [u8], mut each: impl FnMut(IndexedItem<'p>)) -> Result<(), StoreError> {
    let mut reader = Reader::of_items(data);
    while let Some(item) = reader.item()? {
        each(item);
    }
    Ok(())
}

const PAGE_LIST: &str = "SELECT company_id, page, CAST(LENGTH(data) AS BIGINT) FROM item_pages \
     WHERE ($1 IS NULL OR company_id = $1) ORDER BY company_id, page";
const PAGE_DATA: &str = "SELECT page, data FROM item_pages \
     WHERE company_id = $1 AND page >= $2 AND page <= $3 ORDER BY page";

/// Pages are read a few at a time, up to this many bytes (or one larger page) per query.
const CHUNK_BYTES: i64 = 4 << 20;

/// Chunks read ahead of the one being decoded.
const READ_AHEAD: usize = 2;

/// Pages of one company, `first` to `last`, read by one query.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Chunk {
    company: String,
    first: i64,
    last: i64,
}

/// Groups a list of `(company, page, bytes)` into chunks of neighbouring pages.
fn chunks(list: Vec<(String, i64, i64)>) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut bytes = 0;
    for (company, page, size) in list {
        match out.last_mut() {
            Some(c) if c.company == company && bytes + size <= CHUNK_BYTES => {
                c.last = page;
                bytes += size;
            }
            _ => {
                out.push(Chunk {
                    company,
                    first: page,
                    last: page,
                });
                bytes = size;
            }
        }
    }
    out
}

/// Calls `each(customer_id, items, [(tran_id, currency)])` for every customer of one item
/// page: a page holds whole customers, in order.
pub fn customers_of<'p>(
    data: &'p [u8],
    mut each: impl FnMut(&'p str, &[Item], &[(&'p str, &'p str)]),
) -> Result<(), StoreError> {
    let mut items: Vec<Item> = Vec::new();
    let mut ids: Vec<(&str, &str)> = Vec::new();
    let mut current: Option<&str> = None;
    decode(data, |i| {
        if let Some(customer) = current.filter(|c| *c != i.customer_id) {
            each(customer, &items, &ids);
            items.clear();
            ids.clear();
        }
        current = Some(i.customer_id);
        items.push(i.item);
        ids.push((i.tran_id, i.currency));
    })?;
    if let Some(customer) = current {
        each(customer, &items, &ids);
    }
    Ok(())
}

/// The customers of one item page and where each one's items start, so that they can be read
/// in any order: a page holds its customers by hash, and a run may want them in key order.
pub struct PageMarks<'p> {
    data: &'p [u8],
    /// Each customer, with the reader's state before its first item.
    marks: Vec<(&'p str, Mark<'p>)>,
}

/// Enough of a reader's state to read on from a place in a page: an item's currency may be
/// the item's before, and its transaction date is a number of days from that item's.
#[derive(Clone, Copy)]
struct Mark<'p> {
    at: usize,
    currency: Option<&'p str>,
    tran_date: i64,
}

impl<'p> PageMarks<'p> {
    /// Reads the page once, marking where each customer's items start.
    pub fn read(data: &'p [u8]) -> Result<PageMarks<'p>, StoreError> {
        let mut reader = Reader::of_items(data);
        let mut marks: Vec<(&str, Mark<'_>)> = Vec::new();
        loop {
            let mark = Mark {
                at: reader.at,
                currency: reader.currency,
                tran_date: reader.tran_date,
            };
            let Some(item) = reader.item()? else { break };
            if marks.last().is_none_or(|(c, _)| *c != item.customer_id) {
                marks.push((item.customer_id, mark));
            }
        }
        Ok(PageMarks { data, marks })
    }

    /// The page's customers, in its order: the n-th is read by [`PageMarks::items`]`(n, …)`.
    pub fn customers(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.marks.iter().map(|(customer, _)| *customer)
    }

    /// Adds the n-th customer's items to `items`, and their `(tran_id, currency)` to `ids`.
    pub fn items(
        &self,
        n: usize,
        items: &mut Vec<Item>,
        ids: &mut Vec<(&'p str, &'p str)>,
    ) -> Result<(), StoreError> {
        let Some(&(customer, mark)) = self.marks.get(n) else {
            return Ok(());
        };
        let end = self
            .marks
            .get(n + 1)
            .map_or(self.data.len(), |(_, next)| next.at);
        let mut reader = Reader {
            at: mark.at,
            currency: mark.currency,
            tran_date: mark.tran_date,
            ..Reader::of_items(&self.data[..end])
        };
        while let Some(item) = reader.item()? {
            if item.customer_id != customer {
                return Err(corrupt("customer"));
            }
            items.push(item.item);
            ids.push((item.tran_id, item.currency));
        }
        Ok(())
    }
}

/// Which pages to read: item pages, or the key pages of a table.
#[derive(Clone, Debug)]
enum Source {
    Items,
    Keys(String),
}

impl Store {
    /// Gives the item pages of one company, or of all, to `each(company_id, page, data)`;
    /// `data` is the page as read, `each`'s to keep.
    pub async fn item_pages(
        &self,
        company: Option<&str>,
        each: impl FnMut(&str, u32, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let list: Vec<(String, i64, i64)> =
            on_pool!(self, pool => sqlx::query_as(PAGE_LIST).bind(company).fetch_all(pool).await?);
        self.read_pages(Source::Items, list, each).await
    }

    /// Calls `each(company_id, customer_id, items, [(tran_id, currency)])` for every customer
    /// of one company (or of all) that has items: a page holds whole customers, in order.
    pub async fn customer_items(
        &self,
        company: Option<&str>,
        mut each: impl FnMut(&str, &str, &[Item], &[(&str, &str)]),
    ) -> Result<(), StoreError> {
        self.item_pages(company, |company_id, _, data| {
            customers_of(&data, |customer, items, ids| {
                each(company_id, customer, items, ids)
            })
        })
        .await
    }

    /// The items of one customer with their `(tran_id, currency)`: one page read.
    pub async fn items_of(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<(Item, String, String)>, StoreError> {
        let page = i64::from(page_of(customer));
        let data: Option<Vec<u8>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT data FROM item_pages WHERE company_id = $1 AND page = $2")
                .bind(company)
                .bind(page)
                .fetch_optional(pool)
                .await?
        });
        let mut out = Vec::new();
        if let Some(data) = data {
            decode(&data, |i| {
                if i.customer_id == customer {
                    out.push((i.item, i.tran_id.to_owned(), i.currency.to_owned()));
                }
            })?;
        }
        Ok(out)
    }

    /// Bytes of the key pages of `table`, per company: what a reader sizes its maps by
    /// before decoding them.
    pub async fn page_bytes(
        &self,
        table: &str,
    ) -> Result<foldhash::HashMap<String, i64>, StoreError> {
        const KEYS: &str = "SELECT company_id, SUM(LENGTH(data)) FROM key_pages \
             WHERE table_name = $1 GROUP BY company_id";
        let rows: Vec<(String, i64)> =
            on_pool!(self, pool => sqlx::query_as(KEYS).bind(table).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    /// About how many items the item pages of each company hold, from their bytes and
    /// layout: what a reader sizes its lists by before decoding them.
    pub async fn item_counts(&self) -> Result<foldhash::HashMap<String, usize>, StoreError> {
        const ITEMS: &str = "SELECT company_id, SUM(LENGTH(data)), \
             SUM(CASE WHEN SUBSTR(data, 1, 4) = $1 THEN 0 ELSE LENGTH(data) END) \
             FROM item_pages GROUP BY company_id";
        let rows: Vec<(String, i64, i64)> = on_pool!(self, pool =>
            sqlx::query_as(ITEMS).bind(&MAGIC[..]).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(company, bytes, first_layout)| {
                let items = (bytes - first_layout) / TYPICAL_ITEM_BYTES
                    + first_layout / FIRST_LAYOUT_ITEM_BYTES;
                (company, usize::try_from(items).unwrap_or(0))
            })
            .collect())
    }

    /// Reads the pages of `list` (`(company, page, bytes)`) on a task of its own, a few
    /// megabytes at a time and a chunk ahead, and gives each to `each`, so that one chunk is
    /// decoded while the next is read; only those few are held in memory (a streamed query
    /// would let the driver read the whole table ahead).
    async fn read_pages(
        &self,
        source: Source,
        list: Vec<(String, i64, i64)>,
        mut each: impl FnMut(&str, u32, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        let store = self.clone();
        tokio::spawn(async move {
            for chunk in chunks(list) {
                let pages = store.chunk(&source, &chunk).await;
                let failed = pages.is_err();
                if tx.send(pages.map(|p| (chunk.company, p))).await.is_err() || failed {
                    break;
                }
            }
        });
        while let Some(next) = rx.recv().await {
            let (company_id, pages) = next?;
            for (page, data) in pages {
                each(&company_id, u32::try_from(page).unwrap_or(0), data)?;
            }
        }
        Ok(())
    }

    async fn chunk(
        &self,
        source: &Source,
        chunk: &Chunk,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let (company, first, last) = (&chunk.company, chunk.first, chunk.last);
        Ok(on_pool!(self, pool => match source {
            Source::Items => sqlx::query_as(PAGE_DATA)
                .bind(company)
                .bind(first)
                .bind(last)
                .fetch_all(pool)
                .await?,
            Source::Keys(table) => sqlx::query_as(keys::SELECT)
                .bind(table)
                .bind(company)
                .bind(first)
                .bind(last)
                .fetch_all(pool)
                .await?,
        }))
    }
}

impl Tx {
    /// Replaces one page; an empty page is removed.
    pub async fn put_page(
        &mut self,
        company: &str,
        page: u32,
        data: &[u8],
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM item_pages WHERE company_id = $1 AND page = $2";
        const UPSERT: &str = "INSERT INTO item_pages (company_id, page, data) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, page) DO UPDATE SET data = excluded.data";
        let page = i64::from(page);
        on_tx!(self, tx => {
            if data.is_empty() {
                sqlx::query(DELETE).bind(company).bind(page).execute(&mut **tx).await?;
            } else {
                sqlx::query(UPSERT).bind(company).bind(page).bind(data).execute(&mut **tx).await?;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_page_gives_back_what_was_written() {
        let items = [
            IndexedItem {
                customer_id: "C1",
                tran_id: "I1",
                currency: "USD",
                hash: -42,
                item: Item {
                    tran_type: TranType::FinanceCharge,
                    tran_date: date(2015, 1, 1),
                    due_date: Some(date(2015, 3, 2)),
                    amount: Money::from_raw(12_345_678),
                    balance: Money::from_raw(-1),
                    amount_hc: Money::from_raw(i64::MAX),
                    balance_hc: Money::from_raw(i64::MIN),
                    closing_date: None,
                    excluded_hc: Money::ZERO,
                    plan: None,
                },
            },
            IndexedItem {
                customer_id: "Ç2",
                tran_id: "",
                currency: "EUR",
                hash: 7,
                item: Item {
                    tran_type: TranType::CreditMemo,
                    tran_date: date(1999, 12, 31),
                    due_date: None,
                    amount: Money::ZERO,
                    balance: Money::ZERO,
                    amount_hc: Money::ZERO,
                    balance_hc: Money::ZERO,
                    closing_date: Some(date(2000, 2, 29)),
                    excluded_hc: Money::ZERO,
                    plan: None,
                },
            },
        ];
        let mut page = PageWriter::default();
        for item in &items {
            page.push(item);
        }
        let page = page.finish();
        assert!(page.starts_with(&MAGIC));
        let mut back = Vec::new();
        decode(&page, |i| back.push(i)).unwrap();
        assert_eq!(back, items);
        assert!(decode(&page[..page.len() - 1], |_| ()).is_err());
        for end in MAGIC.len()..page.len() {
            let mut part = Vec::new();
            let read = decode(&page[..end], |i| part.push(i));
            assert!(read.is_err() || part.len() < items.len(), "cut at {end}");
        }
        assert_eq!(PageWriter::default().finish(), b"");
    }

    /// A page of the first layout, as a store made before the present one holds until a
    /// sync rewrites it.
    fn first_layout(items: &[IndexedItem<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for entry in items {
            put_str(&mut out, entry.customer_id);
            put_str(&mut out, entry.tran_id);
            put_str(&mut out, entry.currency);
            out.extend_from_slice(&entry.hash.to_le_bytes());
            let i = &entry.item;
            out.push(i.tran_type as u8);
            put_date(&mut out, Some(i.tran_date));
            put_date(&mut out, i.due_date);
            put_date(&mut out, i.closing_date);
            for m in [i.amount, i.balance, i.amount_hc, i.balance_hc] {
                out.extend_from_slice(&m.raw().to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn a_page_of_the_first_layout_is_still_read() {
        let item = IndexedItem {
            customer_id: "C1",
            tran_id: "I1",
            currency: "USD",
            hash: 99,
            item: Item {
                tran_type: TranType::DebitMemo,
                tran_date: date(2026, 11, 2),
                due_date: Some(date(2026, 12, 2)),
                amount: Money::from_raw(1_000_000),
                balance: Money::from_raw(400_000),
                amount_hc: Money::from_raw(1_000_000),
                balance_hc: Money::from_raw(400_000),
                closing_date: None,
                excluded_hc: Money::ZERO,
                plan: None,
            },
        };
        let other = IndexedItem {
            tran_id: "I2",
            ..item.clone()
        };
        let page = first_layout(&[item.clone(), other.clone()]);
        let mut back = Vec::new();
        decode(&page, |i| back.push(i)).unwrap();
        assert_eq!(back, [item, other]);
        assert!(decode(&page[..page.len() - 1], |_| ()).is_err());
    }

    fn arbitrary_item() -> impl Strategy<Value = (String, String, String, i64, Item)> {
        let day =
            (-800_000i32..3_000_000).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap());
        let money = prop_oneof![Just(0i64), -1_000_000_000i64..1_000_000_000, any::<i64>()]
            .prop_map(Money::from_raw);
        (
            (
                "[A-C]{1,2}",
                "[a-z0-9é]{0,4}",
                prop_oneof![Just("USD"), Just("EUR"), Just("")],
            ),
            any::<i64>(),
            (
                0u8..4,
                day.clone(),
                proptest::option::of(day.clone()),
                proptest::option::of(day),
            ),
            (money.clone(), money.clone(), money.clone(), money),
            (any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(
                    (customer, tran, currency),
                    hash,
                    (kind, tran_date, due_date, closing_date),
                    (amount, balance, amount_hc, balance_hc),
                    (paid_as_billed, home),
                )| {
                    let balance = if paid_as_billed { amount } else { balance };
                    let (amount_hc, balance_hc) = if home {
                        (amount, balance)
                    } else {
                        (amount_hc, balance_hc)
                    };
                    let item = indexed(
                        ("", "", ""),
                        0,
                        tran_type(kind).unwrap(),
                        (tran_date, due_date, closing_date),
                        [amount, balance, amount_hc, balance_hc],
                    )
                    .item;
                    (customer, tran, currency.to_owned(), hash, item)
                },
            )
    }

    proptest! {
        #[test]
        fn any_items_come_back_as_written(items in proptest::collection::vec(arbitrary_item(), 0..40)) {
            let items: Vec<IndexedItem<'_>> = items
                .iter()
                .map(|(customer_id, tran_id, currency, hash, item)| IndexedItem {
                    customer_id,
                    tran_id,
                    currency,
                    hash: *hash,
                    item: item.clone(),
                })
                .collect();
            let mut page = PageWriter::default();
            for item in &items {
                page.push(item);
            }
            let page = page.finish();
            let mut back = Vec::new();
            decode(&page, |i| back.push(i)).unwrap();
            prop_assert_eq!(&back, &items);
            let (old, mut first) = (first_layout(&items), Vec::new());
            decode(&old, |i| first.push(i)).unwrap();
            prop_assert_eq!(&first, &items);
            // Each customer's items read from its mark, the last customer first.
            let written: Vec<_> = items
                .iter()
                .map(|i| (i.customer_id, i.tran_id, i.currency, i.item.clone()))
                .collect();
            for data in [&page, &old] {
                let marks = PageMarks::read(data).unwrap();
                let customers: Vec<&str> = marks.customers().collect();
                let mut runs = Vec::new();
                for n in (0..customers.len()).rev() {
                    let (mut found, mut ids) = (Vec::new(), Vec::new());
                    marks.items(n, &mut found, &mut ids).unwrap();
                    prop_assert!(!found.is_empty());
                    let run: Vec<_> = ids
                        .iter()
                        .zip(found)
                        .map(|(&(tran_id, currency), item)| (customers[n], tran_id, currency, item))
                        .collect();
                    runs.push(run);
                }
                runs.reverse();
                prop_assert_eq!(&runs.concat(), &written);
            }
        }
    }

    #[test]
    fn a_customer_is_read_from_its_mark_and_a_cut_page_gives_fewer() {
        let item = |customer_id, tran_id| IndexedItem {
            customer_id,
            tran_id,
            currency: "USD",
            hash: 1,
            item: Item {
                tran_type: TranType::Invoice,
                tran_date: date(2015, 1, 1),
                due_date: Some(date(2015, 3, 2)),
                amount: Money::from_raw(10_000),
                balance: Money::from_raw(10_000),
                amount_hc: Money::from_raw(10_000),
                balance_hc: Money::from_raw(10_000),
                closing_date: None,
                excluded_hc: Money::ZERO,
                plan: None,
            },
        };
        let mut page = PageWriter::default();
        for entry in [item("C1", "I1"), item("C1", "I2"), item("C2", "I3")] {
            page.push(&entry);
        }
        let page = page.finish();
        let marks = PageMarks::read(&page).unwrap();
        assert_eq!(marks.customers().collect::<Vec<_>>(), ["C1", "C2"]);
        let (mut items, mut ids) = (Vec::new(), Vec::new());
        marks.items(1, &mut items, &mut ids).unwrap();
        assert_eq!(ids, [("I3", "USD")]);
        marks.items(5, &mut items, &mut ids).unwrap();
        assert_eq!(items.len(), 1, "no customer at 5");
        for end in MAGIC.len()..page.len() {
            if let Ok(cut) = PageMarks::read(&page[..end]) {
                assert!(cut.customers().count() < 2, "cut at {end}");
            }
        }
    }

    #[test]
    fn chunks_hold_neighbouring_pages_of_one_company_up_to_a_size() {
        let half = CHUNK_BYTES / 2;
        let list = vec![
            ("A".to_owned(), 0, half),
            ("A".to_owned(), 3, half),
            ("A".to_owned(), 4, 1),
            ("A".to_owned(), 5, CHUNK_BYTES * 3),
            ("B".to_owned(), 0, 1),
            ("B".to_owned(), 1, 1),
        ];
        let chunk = |company: &str, first, last| Chunk {
            company: company.to_owned(),
            first,
            last,
        };
        assert_eq!(
            chunks(list),
            [
                chunk("A", 0, 3),
                chunk("A", 4, 4),
                chunk("A", 5, 5),
                chunk("B", 0, 1)
            ]
        );
    }

    #[test]
    fn pages_spread_customers_and_stay_in_range() {
        let pages: std::collections::HashSet<u32> =
            (0..10_000).map(|i| page_of(&format!("C{i:07}"))).collect();
        assert!(pages.len() > 200);
        assert!(pages.iter().all(|p| *p < PAGES));
    }
}

/// Keys of a table as the sync sees them: the key without its company, the row's content
/// hash and its date (see [`crate::KeyState`]), packed like the item pages.
pub mod keys {
    use super::{Reader, Source, put_date, put_str};
    use crate::tx::on_tx;
    use crate::{KeyState, Store, StoreError, Tx, on_pool};

    /// The fewest bytes a key of a few characters takes in a page.
    pub const MIN_KEY_BYTES: i64 = 20;

    /// Appends one key to a page.
    pub fn encode(out: &mut Vec<u8>, rest: &str, state: KeyState) {
        put_str(out, rest);
        out.extend_from_slice(&state.hash.to_le_bytes());
        put_date(out, state.date);
    }

    /// Calls `each` for every key of a page.
    pub fn decode<'p>(
        data: &'p [u8],
        mut each: impl FnMut(&'p str, KeyState),
    ) -> Result<(), StoreError> {
        let mut reader = Reader::new(data);
        while reader.at < data.len() {
            let rest = reader.fixed_text()?;
            let hash = i64::from_le_bytes(reader.array()?);
            let date = reader.fixed_date()?;
            each(rest, KeyState { hash, date });
        }
        Ok(())
    }

    const LIST: &str = "SELECT company_id, page, CAST(LENGTH(data) AS BIGINT) FROM key_pages \
         WHERE table_name = $1 ORDER BY company_id, page";
    pub(super) const SELECT: &str = "SELECT page, data FROM key_pages \
         WHERE table_name = $1 AND company_id = $2 AND page >= $3 AND page <= $4 ORDER BY page";
    const DELETE: &str =
        "DELETE FROM key_pages WHERE table_name = $1 AND company_id = $2 AND page = $3";
    const UPSERT: &str = "INSERT INTO key_pages (table_name, company_id, page, data) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (table_name, company_id, page) DO UPDATE SET data = excluded.data";

    impl Store {
        /// Gives the key pages of `table` to `each(company_id, data)`.
        pub async fn key_pages(
            &self,
            table: &str,
            mut each: impl FnMut(&str, &[u8]) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            let list: Vec<(String, i64, i64)> =
                on_pool!(self, pool => sqlx::query_as(LIST).bind(table).fetch_all(pool).await?);
            let source = Source::Keys(table.to_owned());
            self.read_pages(source, list, |company, _, data| each(company, &data))
                .await
        }
    }

    impl Tx {
        /// Replaces one key page; an empty page is removed.
        pub async fn put_key_page(
            &mut self,
            table: &str,
            company: &str,
            page: u32,
            data: &[u8],
        ) -> Result<(), StoreError> {
            let page = i64::from(page);
            on_tx!(self, tx => {
                if data.is_empty() {
                    sqlx::query(DELETE).bind(table).bind(company).bind(page).execute(&mut **tx).await?;
                } else {
                    sqlx::query(UPSERT).bind(table).bind(company).bind(page).bind(data).execute(&mut **tx).await?;
                }
            });
            Ok(())
        }
    }
}
