//! Deterministic synthetic books, written as sync folders: the demo and the benchmark's input.
#![deny(clippy::float_arithmetic)]

mod book;
mod names;
pub mod starter;

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use arrears_domain::Money;
use chrono::{Days, NaiveDate};
use csv::Writer;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What book to write.
#[derive(Clone, Debug)]
pub struct Options {
    pub customers: usize,
    pub seed: u64,
    /// The business date the book is "today" for.
    pub as_of: NaiveDate,
    /// Per mille of invoices and customers whose content differs from the same book
    /// without changes: for re-sync benchmarks.
    pub changed_per_mille: u32,
}

/// How many rows each file got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub companies: u64,
    pub users: u64,
    pub customers: u64,
    pub contacts: u64,
    pub invoices: u64,
    pub payments: u64,
    pub applications: u64,
}

/// The demo companies: id, name, home currency, share of customers in percent.
const COMPANIES: [(&str, &str, &str, usize); 3] = [
    ("US01", "Northwind Supply Inc.", "USD", 60),
    ("CA01", "Northwind Supply Canada Ltd.", "CAD", 25),
    ("EU01", "Northwind Supply Europe GmbH", "EUR", 15),
];

/// Users: id, name, role, manager.
const USERS: [(&str, &str, &str, &str); 7] = [
    ("admin", "Alex Admin", "admin", ""),
    ("mgr.lee", "Morgan Lee", "manager", ""),
    ("c.diaz", "Carmen Diaz", "collector", "mgr.lee"),
    ("c.okafor", "Chidi Okafor", "collector", "mgr.lee"),
    ("c.novak", "Petra Novak", "collector", "mgr.lee"),
    ("c.tanaka", "Ken Tanaka", "collector", "mgr.lee"),
    ("sales.kim", "Jordan Kim", "inquiry", "mgr.lee"),
];
const COLLECTORS: [&str; 4] = ["c.diaz", "c.okafor", "c.novak", "c.tanaka"];

/// Terms: name and days.
const TERMS: [(&str, u64); 4] = [
    ("Net30", 30),
    ("Net60", 60),
    ("Net15", 15),
    ("2%10Net30", 30),
];

pub(crate) struct Writers {
    pub(crate) customers: Writer<BufWriter<File>>,
    pub(crate) contacts: Writer<BufWriter<File>>,
    pub(crate) invoices: Writer<BufWriter<File>>,
    pub(crate) payments: Writer<BufWriter<File>>,
    pub(crate) applications: Writer<BufWriter<File>>,
}

fn writer(dir: &Path, name: &str, header: &[&str]) -> io::Result<Writer<BufWriter<File>>> {
    let mut w = Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        File::create(dir.join(name))?,
    ));
    w.write_record(header)?;
    Ok(w)
}

/// Cents as a CSV amount.
pub(crate) fn cents(c: i64) -> String {
    Money::from_raw(c * 100).to_string()
}

/// Writes a book of `options.customers` customers as a sync folder in `dir`.
pub fn write_book(dir: &Path, options: &Options) -> io::Result<Counts> {
    std::fs::create_dir_all(dir)?;
    let mut counts = Counts::default();
    let mut companies = writer(
        dir,
        "companies.csv",
        &["company_id", "name", "home_currency"],
    )?;
    for (id, name, currency, _) in COMPANIES {
        companies.write_record([id, name, currency])?;
        counts.companies += 1;
    }
    companies.flush()?;
    let mut users = writer(
        dir,
        "users.csv",
        &["user_id", "name", "email", "role", "manager", "active"],
    )?;
    for (id, name, role, manager) in USERS {
        users.write_record([
            id,
            name,
            &format!("{id}@northwind.example"),
            role,
            manager,
            "true",
        ])?;
        counts.users += 1;
    }
    users.flush()?;
    let mut w = Writers {
        customers: writer(
            dir,
            "customers.csv",
            &[
                "company_id",
                "customer_id",
                "name",
                "parent_id",
                "customer_class",
                "credit_class",
                "status",
                "credit_limit",
                "credit_hold",
                "currency",
                "payment_terms",
                "date_established",
                "email",
                "phone",
                "addr_line1",
                "city",
                "state",
                "postal_code",
                "country",
                "sales_person_id",
                "assigned_user",
                "days_to_respond",
                "udf1",
                "credit_score",
                "bureau_score_1",
            ],
        )?,
        contacts: writer(
            dir,
            "contacts.csv",
            &[
                "company_id",
                "customer_id",
                "contact_id",
                "name",
                "title",
                "email",
                "phone",
                "is_primary",
                "include_in_email",
            ],
        )?,
        invoices: writer(
            dir,
            "invoices.csv",
            &[
                "company_id",
                "customer_id",
                "tran_id",
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
                "comment",
            ],
        )?,
        payments: writer(
            dir,
            "payments.csv",
            &[
                "company_id",
                "customer_id",
                "payment_id",
                "payment_date",
                "amount",
                "currency",
                "amount_hc",
                "tender_type",
                "reference",
            ],
        )?,
        applications: writer(
            dir,
            "payment_applications.csv",
            &[
                "company_id",
                "payment_id",
                "tran_id",
                "amount",
                "applied_date",
            ],
        )?,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut number = 0usize;
    for (company, _, home, share) in COMPANIES {
        let n = (options.customers * share)
            .div_ceil(100)
            .min(options.customers - number);
        for i in 0..n {
            number += 1;
            // A child account names one of the company's first customers (never itself).
            let parent =
                (i >= 3 && rng.random_ratio(1, 8)).then(|| rng.random_range(1..=i.min(20)));
            customer(
                &mut w,
                &mut rng,
                &mut counts,
                options,
                company,
                home,
                number,
                i,
                parent,
            )?;
        }
    }
    w.customers.flush()?;
    w.contacts.flush()?;
    w.invoices.flush()?;
    w.payments.flush()?;
    w.applications.flush()?;
    Ok(counts)
}

/// Whether row `(number, k)` is one of the changed ones; independent of the random stream,
/// so a changed book differs from its base book in those rows only.
pub(crate) fn changes(per_mille: u32, number: usize, k: usize) -> bool {
    let mixed = (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (k as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    (mixed >> 33) % 1000 < u64::from(per_mille)
}

/// How a customer pays: mean days late and spread.
fn payer(rng: &mut ChaCha8Rng) -> (i64, i64) {
    match rng.random_range(0..100) {
        0..40 => (-2, 4),
        40..70 => (8, 8),
        70..90 => (30, 15),
        _ => (75, 40),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one customer's generation reads best in one place"
)]
fn customer(
    w: &mut Writers,
    rng: &mut ChaCha8Rng,
    counts: &mut Counts,
    options: &Options,
    company: &str,
    home: &str,
    number: usize,
    index: usize,
    parent: Option<usize>,
) -> io::Result<()> {
    let id = format!("C{number:07}");
    let changed = changes(options.changed_per_mille, number, 99);
    let name = names::company_name(rng);
    let (terms, term_days) = TERMS[rng.random_range(0..TERMS.len())];
    let established = options.as_of - Days::new(rng.random_range(30..3650));
    let foreign = company == "US01" && rng.random_ratio(1, 20);
    let currency = if foreign { "CAD" } else { home };
    let limit = rng
        .random_ratio(4, 5)
        .then(|| rng.random_range(1..=40) * 5_000 * 100);
    let class = ["RETAIL", "DEALER", "DISTRIB", "GOVT"][rng.random_range(0..4)];
    let credit_class = if (options.as_of - established).num_days() < 120 {
        "NEW"
    } else {
        "STANDARD"
    };
    let assigned = if rng.random_ratio(7, 10) {
        COLLECTORS[index % COLLECTORS.len()]
    } else {
        ""
    };
    let city = names::city(rng);
    let parent_id = parent
        .map(|p| format!("C{:07}", number - index - 1 + p))
        .unwrap_or_default();
    w.customers.write_record([
        company,
        &id,
        &name,
        &parent_id,
        class,
        credit_class,
        if rng.random_ratio(1, 25) {
            "Inactive"
        } else {
            "Active"
        },
        &limit.map(cents).unwrap_or_default(),
        if rng.random_ratio(1, 30) {
            "true"
        } else {
            "false"
        },
        currency,
        terms,
        &established.to_string(),
        &format!("ap@{}.example", names::slug(&name)),
        &format!(
            "+1-555-{:03}-{:04}{}",
            number % 1000,
            (number * 7) % 10_000,
            if changed { " x1" } else { "" }
        ),
        &format!("{} {} Street", 1 + number % 999, names::street(rng)),
        city,
        "",
        &format!("{:05}", (number * 37) % 100_000),
        ["US", "CA", "DE"][COMPANIES.iter().position(|c| c.0 == company).unwrap_or(0)],
        &format!("S{:02}", number % 17),
        assigned,
        if rng.random_ratio(1, 10) { "2" } else { "" },
        if rng.random_ratio(1, 8) {
            "Require PO"
        } else {
            ""
        },
        // Scores spread over 450–849 and 300–849 by the customer's number.
        &(450 + (number * 7919) % 400).to_string(),
        &(300 + (number * 104_729) % 550).to_string(),
    ])?;
    counts.customers += 1;
    for c in 0..rng.random_range(1..=2) {
        let person = names::person(rng);
        w.contacts.write_record([
            company,
            &id,
            &format!("{id}-{}", c + 1),
            &person,
            if c == 0 {
                "Accounts Payable"
            } else {
                "Controller"
            },
            &format!("{}@{}.example", names::slug(&person), names::slug(&name)),
            &format!("+1-555-{:04}", (number * 13 + c) % 10_000),
            if c == 0 { "true" } else { "false" },
            "true",
        ])?;
        counts.contacts += 1;
    }
    let profile = payer(rng);
    let rate = if foreign { Some(73) } else { None };
    let book = book::Book {
        company,
        customer: &id,
        currency,
        rate,
        terms,
        term_days,
        profile,
        as_of: options.as_of,
    };
    book.invoices(w, rng, counts, number, options.changed_per_mille)
}
