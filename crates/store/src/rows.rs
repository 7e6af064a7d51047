//! The rows a sync writes, one struct per table, and how each binds its columns.

use arrears_domain::filter::CUSTOMER_TEXTS;
use arrears_domain::{Money, TranType};
use chrono::{Datelike, NaiveDate};

/// One bound value of a row.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Bool(bool),
    Date(Option<NaiveDate>),
    /// A date SQLite keeps as its day number (see [`day_number`]): three bytes where its text
    /// takes eleven. The invoices' dates, which every sync of a changed invoice rewrites;
    /// PostgreSQL keeps it as any other date, and the content hash is a date's.
    Day(Option<NaiveDate>),
}

/// The number of `date` counted in days from the common era, 0001-01-01 being day 1: how
/// SQLite keeps the invoices' dates. SQL gets the date back as `date(n + 1721424.5)`
/// ([`JULIAN_DAY_ZERO`]).
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// The Julian day of day number 0 (0000-12-31): SQLite's `date()` reads a day number `n`
/// as `date(n + JULIAN_DAY_ZERO)`, and `julianday(text) - JULIAN_DAY_ZERO` is its number.
pub(crate) const JULIAN_DAY_ZERO: &str = "1721424.5";

/// A row on its way to the store, with its content hash and whether its key is new there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change<R> {
    pub row: R,
    pub hash: i64,
    pub new: bool,
}

/// A row of a keyed table: its columns, key, values and a hash of its content.
pub trait Record {
    const TABLE: &'static str;
    /// Every column the row writes, key columns first.
    const COLUMNS: &'static [&'static str];
    /// How many of the leading columns form the key.
    const KEY_LEN: usize;
    /// How many of the leading columns make up the row's content (see [`Record::content_hash`]).
    const HASHED: usize = Self::COLUMNS.len();
    /// Whether the table keeps the content hash in a column of its own, `row_hash`, written
    /// after the others; the invoices keep theirs in the item pages only.
    const HASH_COLUMN: bool = true;
    fn params(&self) -> Vec<Param<'_>>;

    /// The date the sync keeps beside the key (see [`crate::KeyState`]).
    fn key_date(&self) -> Option<NaiveDate> {
        None
    }

    /// The content hash of a row from its `params`.
    fn hash_params(params: &[Param<'_>]) -> i64 {
        hash_of(&params[..Self::HASHED.min(params.len())])
    }

    fn content_hash(&self) -> i64 {
        Self::hash_params(&self.params())
    }
}

/// FNV-1a over the values: equal rows hash equally on every platform and version.
fn hash_of(params: &[Param<'_>]) -> i64 {
    let mut hash = Fnv::default();
    for param in params {
        match *param {
            Param::Text(None) | Param::Int(None) | Param::Date(None) | Param::Day(None) => {
                hash.bytes(&[0])
            }
            Param::Text(Some(t)) => {
                hash.bytes(&[1]);
                hash.word(t.len() as u64);
                hash.bytes(t.as_bytes());
            }
            Param::Int(Some(i)) => {
                hash.bytes(&[2]);
                hash.word(i as u64);
            }
            Param::Bool(b) => hash.bytes(&[3, u8::from(b)]),
            Param::Date(Some(d)) | Param::Day(Some(d)) => {
                hash.bytes(&[4]);
                hash.word(i64::from(d.num_days_from_ce()) as u64);
            }
        }
    }
    hash.0 as i64
}

const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// `FNV_PRIME` to the powers 0 to 8: feeding FNV-1a `n` zero bytes multiplies the hash by
/// the `n`th (each step's xor with zero leaves it as it is).
const PRIME_POWERS: [u64; 9] = {
    let mut powers = [1u64; 9];
    let mut n = 1;
    while n < 9 {
        powers[n] = powers[n - 1].wrapping_mul(FNV_PRIME);
        n += 1;
    }
    powers
};

/// An FNV-1a hash being fed.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    /// The eight little-endian bytes of `word`, its high zero bytes (lengths, amounts and
    /// days have several) in one multiplication: the same hash as feeding them one by one.
    fn word(&mut self, word: u64) {
        let significant = 8 - (word.leading_zeros() / 8) as usize;
        self.bytes(&word.to_le_bytes()[..significant]);
        self.0 = self.0.wrapping_mul(PRIME_POWERS[8 - significant]);
    }
}

/// A date as SQLite keeps it, `YYYY-MM-DD`, written into `out` (years are 0 to 9999).
pub(crate) fn iso(date: NaiveDate, out: &mut [u8; 10]) -> &str {
    let (y, m, d) = (date.year().clamp(0, 9999) as u32, date.month(), date.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        10,
        m / 10,
        m % 10,
        10,
        d / 10,
        d % 10,
    ];
    for (slot, digit) in out.iter_mut().zip(digits) {
        *slot = if digit == 10 {
            b'-'
        } else {
            b'0' + digit as u8
        };
    }
    std::str::from_utf8(out).unwrap_or_default()
}

/// `TABLE (columns…, row_hash)`: where a sync writes rows of `R` (without `row_hash` when
/// the table keeps no hash).
pub(crate) fn target<R: Record>() -> String {
    let hash = if R::HASH_COLUMN { ", row_hash" } else { "" };
    format!("{} ({}{hash})", R::TABLE, R::COLUMNS.join(", "))
}

fn text(s: &Option<String>) -> Param<'_> {
    Param::Text(s.as_deref())
}

fn money(m: Option<Money>) -> Param<'static> {
    Param::Int(m.map(Money::raw))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyRow {
    pub company_id: String,
    pub name: String,
    pub home_currency: String,
    /// The credit class of customers that name none.
    pub default_credit_class: Option<String>,
}

impl Record for CompanyRow {
    const TABLE: &'static str = "companies";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "name",
        "home_currency",
        "default_credit_class",
    ];
    const KEY_LEN: usize = 1;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.name)),
            Param::Text(Some(&self.home_currency)),
            text(&self.default_credit_class),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: String,
    pub manager: Option<String>,
    pub active: bool,
}

impl Record for UserRow {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] =
        &["user_id", "name", "email", "role", "manager", "active"];
    const KEY_LEN: usize = 1;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.user_id)),
            Param::Text(Some(&self.name)),
            text(&self.email),
            Param::Text(Some(&self.role)),
            text(&self.manager),
            Param::Bool(self.active),
        ]
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerRow {
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    /// The optional text columns, `parent_id` … `bureau_score_3`, as in
    /// `COLUMNS[CustomerRow::TEXTS]`.
    pub texts: [Option<String>; CUSTOMER_TEXTS.len()],
    pub credit_limit: Option<Money>,
    pub credit_hold: bool,
    pub date_established: Option<NaiveDate>,
    pub days_to_respond: Option<i64>,
}

impl CustomerRow {
    /// Where the optional text columns are in `COLUMNS`.
    pub const TEXTS: std::ops::Range<usize> = 3..3 + CUSTOMER_TEXTS.len();

    pub fn text(&self, column: &str) -> Option<&str> {
        Self::COLUMNS[Self::TEXTS]
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.texts[i].as_deref())
    }
}

impl Record for CustomerRow {
    const TABLE: &'static str = "customers";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "customer_id",
        "name",
        "parent_id",
        "customer_class",
        "credit_class",
        "status",
        "currency",
        "payment_terms",
        "email",
        "phone",
        "addr_line1",
        "addr_line2",
        "addr_line3",
        "addr_line4",
        "addr_line5",
        "city",
        "state",
        "postal_code",
        "country",
        "sales_person_id",
        "assigned_user",
        "udf1",
        "udf2",
        "udf3",
        "udf4",
        "udf5",
        "credit_score",
        "bureau_score_1",
        "bureau_score_2",
        "bureau_score_3",
        "credit_limit",
        "credit_hold",
        "date_established",
        "days_to_respond",
    ];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        let mut p = vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.customer_id)),
            Param::Text(Some(&self.name)),
        ];
        p.extend(self.texts.iter().map(text));
        p.push(money(self.credit_limit));
        p.push(Param::Bool(self.credit_hold));
        p.push(Param::Date(self.date_established));
        p.push(Param::Int(self.days_to_respond));
        p
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactRow {
    pub company_id: String,
    pub customer_id: String,
    pub contact_id: String,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub is_primary: bool,
    pub include_in_email: bool,
}

impl Record for ContactRow {
    const TABLE: &'static str = "contacts";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "customer_id",
        "contact_id",
        "name",
        "title",
        "email",
        "phone",
        "fax",
        "is_primary",
        "include_in_email",
    ];
    const KEY_LEN: usize = 3;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.customer_id)),
            Param::Text(Some(&self.contact_id)),
            Param::Text(Some(&self.name)),
            text(&self.title),
            text(&self.email),
            text(&self.phone),
            text(&self.fax),
            Param::Bool(self.is_primary),
            Param::Bool(self.include_in_email),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    pub company_id: String,
    pub tran_id: String,
    pub customer_id: String,
    pub tran_type: TranType,
    pub tran_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub amount: Money,
    pub balance: Money,
    pub currency: String,
    pub amount_hc: Money,
    pub balance_hc: Money,
    /// The optional text columns, `payment_terms` … `udf5`, as in `COLUMNS[11..21]`.
    pub texts: [Option<String>; 10],
    /// Derived at sync, not part of the row's content hash.
    pub closing_date: Option<NaiveDate>,
}

impl Record for InvoiceRow {
    const TABLE: &'static str = "invoices";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "tran_id",
        "customer_id",
        "tran_type",
        "tran_date",
        "due_date",
        "amount",
        "balance",
        "currency",
        "amount_hc",
        "balance_hc",
        "payment_terms",
        "customer_po",
        "status",
        "sold_to_id",
        "comment",
        "udf1",
        "udf2",
        "udf3",
        "udf4",
        "udf5",
        "closing_date",
    ];
    const KEY_LEN: usize = 2;
    /// `closing_date` is derived at sync, not part of the content.
    const HASHED: usize = Self::COLUMNS.len() - 1;
    const HASH_COLUMN: bool = false;
    fn params(&self) -> Vec<Param<'_>> {
        let mut p = vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.tran_id)),
            Param::Text(Some(&self.customer_id)),
            Param::Text(Some(self.tran_type.code())),
            Param::Day(Some(self.tran_date)),
            Param::Day(self.due_date),
            Param::Int(Some(self.amount.raw())),
            Param::Int(Some(self.balance.raw())),
            Param::Text(Some(&self.currency)),
            Param::Int(Some(self.amount_hc.raw())),
            Param::Int(Some(self.balance_hc.raw())),
        ];
        p.extend(self.texts.iter().map(text));
        p.push(Param::Day(self.closing_date));
        p
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub company_id: String,
    pub payment_id: String,
    pub customer_id: String,
    pub payment_date: NaiveDate,
    pub amount: Money,
    pub currency: String,
    pub amount_hc: Money,
    pub tender_type: Option<String>,
    pub reference: Option<String>,
    pub unapplied_amount: Option<Money>,
    pub comment: Option<String>,
}

impl Record for PaymentRow {
    const TABLE: &'static str = "payments";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "payment_id",
        "customer_id",
        "payment_date",
        "amount",
        "currency",
        "amount_hc",
        "tender_type",
        "reference",
        "unapplied_amount",
        "comment",
    ];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.payment_id)),
            Param::Text(Some(&self.customer_id)),
            Param::Date(Some(self.payment_date)),
            Param::Int(Some(self.amount.raw())),
            Param::Text(Some(&self.currency)),
            Param::Int(Some(self.amount_hc.raw())),
            text(&self.tender_type),
            text(&self.reference),
            money(self.unapplied_amount),
            text(&self.comment),
        ]
    }

    fn key_date(&self) -> Option<NaiveDate> {
        Some(self.payment_date)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationRow {
    pub company_id: String,
    pub payment_id: String,
    pub tran_id: String,
    pub amount: Money,
    pub applied_date: Option<NaiveDate>,
    /// `applied_date`, else the payment's date.
    pub effective_date: NaiveDate,
}

impl Record for ApplicationRow {
    const TABLE: &'static str = "payment_applications";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "payment_id",
        "tran_id",
        "amount",
        "applied_date",
        "effective_date",
    ];
    const KEY_LEN: usize = 3;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.payment_id)),
            Param::Text(Some(&self.tran_id)),
            Param::Int(Some(self.amount.raw())),
            Param::Date(self.applied_date),
            Param::Date(Some(self.effective_date)),
        ]
    }

    fn key_date(&self) -> Option<NaiveDate> {
        Some(self.effective_date)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_filter_catalog_names_the_text_columns_the_rows_keep() {
        use super::{CustomerRow, InvoiceRow, Record};
        use arrears_domain::filter::{CUSTOMER_TEXTS, INVOICE_TEXTS};
        assert_eq!(
            &CustomerRow::COLUMNS[CustomerRow::TEXTS],
            &CUSTOMER_TEXTS[..]
        );
        assert_eq!(&InvoiceRow::COLUMNS[11..21], &INVOICE_TEXTS[..]);
    }

    use super::*;
    use proptest::prelude::*;

    /// The hash stores kept for the invoice of the test below before the hash fed words whole.
    const HASH_OF_THE_INVOICE: i64 = 8_363_987_614_033_839_485;

    /// FNV-1a fed byte by byte, as the stored hashes were made.
    fn fed_byte_by_byte(params: &[Param<'_>]) -> i64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for param in params {
            match *param {
                Param::Text(None) | Param::Int(None) | Param::Date(None) | Param::Day(None) => {
                    feed(&[0])
                }
                Param::Text(Some(t)) => {
                    feed(&[1]);
                    feed(&(t.len() as u64).to_le_bytes());
                    feed(t.as_bytes());
                }
                Param::Int(Some(i)) => {
                    feed(&[2]);
                    feed(&i.to_le_bytes());
                }
                Param::Bool(b) => feed(&[3, u8::from(b)]),
                Param::Date(Some(d)) | Param::Day(Some(d)) => {
                    feed(&[4]);
                    feed(&i64::from(d.num_days_from_ce()).to_le_bytes());
                }
            }
        }
        hash as i64
    }

    #[derive(Clone, Debug)]
    enum Value {
        Text(Option<String>),
        Int(Option<i64>),
        Bool(bool),
        Date(Option<i32>),
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            proptest::option::of(".{0,300}").prop_map(Value::Text),
            proptest::option::of(prop_oneof![
                any::<i64>(),
                -1_000_000_000_000i64..1_000_000_000_000,
                0i64..300
            ])
            .prop_map(Value::Int),
            any::<bool>().prop_map(Value::Bool),
            proptest::option::of(1i32..3_652_059).prop_map(Value::Date),
        ]
    }

    proptest! {
        #[test]
        fn content_hashes_are_the_byte_by_byte_fnv_of_the_values(
            values in proptest::collection::vec(value(), 0..24)
        ) {
            let params: Vec<Param<'_>> = values
                .iter()
                .map(|v| match v {
                    Value::Text(t) => Param::Text(t.as_deref()),
                    Value::Int(i) => Param::Int(*i),
                    Value::Bool(b) => Param::Bool(*b),
                    Value::Date(d) => {
                        Param::Date(d.and_then(NaiveDate::from_num_days_from_ce_opt))
                    }
                })
                .collect();
            prop_assert_eq!(hash_of(&params), fed_byte_by_byte(&params));
        }
    }

    #[test]
    fn an_invoice_hashes_as_the_stores_of_earlier_versions_keep_it() {
        let row = InvoiceRow {
            company_id: "US01".into(),
            tran_id: "I000000100".into(),
            customer_id: "C0000001".into(),
            tran_type: arrears_domain::TranType::Invoice,
            tran_date: NaiveDate::from_ymd_opt(2025, 6, 6).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2025, 7, 6),
            amount: arrears_domain::Money::parse("18251.48").unwrap(),
            balance: arrears_domain::Money::ZERO,
            currency: "USD".into(),
            amount_hc: arrears_domain::Money::parse("18251.48").unwrap(),
            balance_hc: arrears_domain::Money::ZERO,
            texts: Default::default(),
            closing_date: None,
        };
        assert_eq!(
            row.content_hash(),
            fed_byte_by_byte(&row.params()[..InvoiceRow::HASHED])
        );
        assert_eq!(row.content_hash(), HASH_OF_THE_INVOICE);
    }

    #[test]
    fn dates_print_as_iso() {
        let mut buf = [0u8; 10];
        for (y, m, d, text) in [
            (2015, 3, 2, "2015-03-02"),
            (1, 12, 31, "0001-12-31"),
            (9999, 1, 1, "9999-01-01"),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso(date, &mut buf), text);
        }
    }
}
