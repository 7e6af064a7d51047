//! The rules of each sync file: what a good row is, and what it refers to.

use foldhash::HashMap;
use std::path::Path;

use arrears_domain::{Item, Money, TranType};
use arrears_store::pages::IndexedItem;
use arrears_store::{
    ApplicationRow, CompanyRow, ContactRow, CustomerRow, InvoiceRow, PaymentRow, Record, UserRow,
    key,
};
use chrono::NaiveDate;
use csv::ByteRecord;

use crate::csvfile::{CsvFile, Fields};
use crate::writer::Batch;
use crate::{Failure, Sync};

const ROLES: [&str; 4] = ["admin", "manager", "collector", "inquiry"];

/// The columns a file may have, and those it must have.
fn columns(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match name {
        "companies.csv" => (CompanyRow::COLUMNS, CompanyRow::COLUMNS),
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

/// Reads one file of the folder into the sync.
/// Reads every present file, in order, sending good rows to the writer.
pub(crate) fn read_all(sync: &mut Sync, dir: &Path, present: &[String]) -> Result<(), Failure> {
    let has = |name: &str| present.iter().any(|p| p == name);
    for name in crate::FILES {
        if name == "invoices.csv" || (name == "payment_applications.csv" && !has("invoices.csv")) {
            sync.closing = closing_dates(sync);
        }
        if has(name) {
            read(sync, dir, name)?;
        }
    }
    if !has("invoices.csv") {
        sync.closing = closing_dates(sync);
    }
    check_after_reading(sync);
    Ok(())
}

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
        "customers.csv" => sync.customers.take(clean, all).map(Batch::Customers),
        "contacts.csv" => sync.contacts.take(clean, all).map(Batch::Contacts),
        "payments.csv" => sync.payments.take(clean, all).map(Batch::Payments),
        "payment_applications.csv" => sync.applications.take(clean, all).map(Batch::Applications),
        _ => sync.invoices.take(clean, all).map(Batch::Invoices),
    };
    if let (Some(batch), Some(out)) = (batch, &sync.out)
        && out.blocking_send(batch).is_err()
    {
        return Err(Failure::Folder("the store stopped taking rows".into()));
    }
    Ok(())
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

/// The row's company, which must be in the store or in `companies.csv`.
fn company_of(sync: &Sync, f: &mut Fields<'_>) -> Option<String> {
    let company = f.required("company_id")?;
    if sync.homes.contains_key(&company) {
        Some(company)
    } else {
        f.problem(
            "company_id",
            format!("company {company:?} is neither in the store nor in this sync"),
        );
        None
    }
}

fn known_customer(sync: &Sync, f: &mut Fields<'_>, company: &str, column: &str) -> Option<String> {
    let customer = if column == "customer_id" {
        f.required(column)
    } else {
        f.text(column)
    }?;
    if !sync.customers.exists(&key(&[company, &customer])) {
        f.problem(
            column,
            format!("customer {customer:?} is neither in the store nor in this sync"),
        );
    }
    Some(customer)
}

/// The row, when none of its fields had a problem.
fn good<R>(f: &Fields<'_>, row: R) -> Option<R> {
    (!f.is_bad()).then_some(row)
}

fn duplicate(f: &mut Fields<'_>, column: &str, first: u64) {
    f.problem(column, format!("duplicate key, first on line {first}"));
}

fn company(sync: &mut Sync, f: &mut Fields<'_>) {
    let row = CompanyRow {
        company_id: f.required_or_empty("company_id"),
        name: f.required_or_empty("name"),
        home_currency: f.currency("home_currency", true).unwrap_or_default(),
    };
    if !f.is_bad() {
        sync.homes
            .insert(row.company_id.clone(), row.home_currency.clone());
    }
    if let Err(first) = sync
        .companies
        .add(row.company_id.clone(), good(f, row), f.line)
    {
        duplicate(f, "company_id", first);
    }
}

fn user(sync: &mut Sync, f: &mut Fields<'_>) {
    let role = f.required("role").map(|r| r.to_ascii_lowercase());
    if let Some(r) = role.as_deref().filter(|r| !ROLES.contains(r)) {
        f.problem(
            "role",
            format!("unknown role {r:?}, expected admin, manager, collector or inquiry"),
        );
    }
    let row = UserRow {
        user_id: f.required_or_empty("user_id"),
        name: f.required_or_empty("name"),
        email: f.text("email"),
        role: role.unwrap_or_default(),
        manager: f.text("manager"),
        active: f.flag("active", true),
    };
    if let Some(manager) = &row.manager {
        sync.forward.push((manager.clone(), f.line));
    }
    if let Err(first) = sync.users.add(row.user_id.clone(), good(f, row), f.line) {
        duplicate(f, "user_id", first);
    }
}

fn customer(sync: &mut Sync, f: &mut Fields<'_>) {
    let company = company_of(sync, f);
    let mut row = CustomerRow {
        customer_id: f.required_or_empty("customer_id"),
        name: f.required_or_empty("name"),
        credit_limit: f.money("credit_limit"),
        credit_hold: f.flag("credit_hold", false),
        date_established: f.date("date_established"),
        days_to_respond: f.days("days_to_respond"),
        ..CustomerRow::default()
    };
    for (slot, column) in row.texts.iter_mut().zip(&CustomerRow::COLUMNS[3..27]) {
        *slot = if *column == "currency" {
            f.currency(column, false)
        } else {
            f.text(column)
        };
    }
    if row.credit_limit.is_some_and(|l| l < Money::ZERO) {
        f.problem("credit_limit", "a credit limit cannot be negative");
    }
    let Some(company) = company else { return };
    row.company_id = company;
    if let Some(parent) = row.text("parent_id") {
        sync.forward.push((key(&[&row.company_id, parent]), f.line));
    }
    if let Some(currency) = row.text("currency") {
        sync.currencies.insert(
            key(&[&row.company_id, &row.customer_id]),
            currency.to_owned(),
        );
    }
    let k = key(&[&row.company_id, &row.customer_id]);
    if let Err(first) = sync.customers.add(k, good(f, row), f.line) {
        duplicate(f, "customer_id", first);
    }
}

fn contact(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let customer = known_customer(sync, f, &company, "customer_id");
    let row = ContactRow {
        customer_id: customer.unwrap_or_default(),
        contact_id: f.required_or_empty("contact_id"),
        name: f.required_or_empty("name"),
        title: f.text("title"),
        email: f.text("email"),
        phone: f.text("phone"),
        fax: f.text("fax"),
        is_primary: f.flag("is_primary", false),
        include_in_email: f.flag("include_in_email", true),
        company_id: company,
    };
    let k = key(&[&row.company_id, &row.customer_id, &row.contact_id]);
    if let Err(first) = sync.contacts.add(k, good(f, row), f.line) {
        duplicate(f, "contact_id", first);
    }
}

/// Currency of a row: its own, else its customer's, else the company's home currency.
fn currency_of(sync: &Sync, f: &mut Fields<'_>, company: &str, customer: &str) -> String {
    f.currency("currency", false)
        .or_else(|| sync.currencies.get(&key(&[company, customer])).cloned())
        .or_else(|| sync.homes.get(company).cloned())
        .unwrap_or_default()
}

/// A home-currency amount: given, or equal to `amount` in the home currency.
fn home_amount(
    sync: &Sync,
    f: &mut Fields<'_>,
    company: &str,
    currency: &str,
    column: &str,
    amount: Option<Money>,
) -> Option<Money> {
    let given = f.money(column);
    if given.is_some() {
        return given;
    }
    if sync.homes.get(company).is_some_and(|home| home == currency) {
        return amount;
    }
    f.problem(
        column,
        format!("required when the currency ({currency}) is not the company's home currency"),
    );
    None
}

fn payment(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let customer = known_customer(sync, f, &company, "customer_id").unwrap_or_default();
    let currency = currency_of(sync, f, &company, &customer);
    let amount = f.required_money("amount");
    let amount_hc = home_amount(sync, f, &company, &currency, "amount_hc", amount);
    let row = PaymentRow {
        payment_id: f.required_or_empty("payment_id"),
        payment_date: f.required_date("payment_date").unwrap_or_default(),
        amount: amount.unwrap_or_default(),
        amount_hc: amount_hc.unwrap_or_default(),
        tender_type: f.text("tender_type"),
        reference: f.text("reference"),
        unapplied_amount: f.money("unapplied_amount"),
        comment: f.text("comment"),
        company_id: company,
        customer_id: customer,
        currency,
    };
    let k = key(&[&row.company_id, &row.payment_id]);
    if !f.is_bad() {
        sync.payment_dates.insert(k.clone(), row.payment_date);
    }
    if let Err(first) = sync.payments.add(k, good(f, row), f.line) {
        duplicate(f, "payment_id", first);
    }
}

fn application(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let payment_id = f.required_or_empty("payment_id");
    let tran_id = f.required_or_empty("tran_id");
    let payment_key = key(&[&company, &payment_id]);
    let payment_date = sync
        .payment_dates
        .get(&payment_key)
        .copied()
        .or_else(|| sync.payments.stored.get(&payment_key).and_then(|s| s.date));
    if !payment_id.is_empty() && payment_date.is_none() {
        f.problem(
            "payment_id",
            format!("payment {payment_id:?} is neither in the store nor in this sync"),
        );
    }
    let invoice_key = key(&[&company, &tran_id]);
    if !tran_id.is_empty() && sync.index.get_key(&invoice_key).is_none() {
        sync.unresolved_invoices.push((invoice_key.clone(), f.line));
    }
    let applied_date = f.date("applied_date");
    let row = ApplicationRow {
        amount: f.required_money("amount").unwrap_or_default(),
        effective_date: applied_date.or(payment_date).unwrap_or_default(),
        applied_date,
        company_id: company,
        payment_id,
        tran_id,
    };
    if !f.is_bad() {
        sync.applied.push((invoice_key, row.effective_date));
    }
    let k = key(&[&row.company_id, &row.payment_id, &row.tran_id]);
    if let Err(first) = sync.applications.add(k, good(f, row), f.line) {
        duplicate(f, "tran_id", first);
    }
}

fn invoice(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let customer = known_customer(sync, f, &company, "customer_id").unwrap_or_default();
    let tran_type = match f.text("tran_type") {
        None => Some(TranType::Invoice),
        Some(text) => text
            .parse::<TranType>()
            .map_err(|why| f.problem("tran_type", why))
            .ok(),
    };
    let due_date = f.date("due_date");
    if tran_type.is_some_and(TranType::needs_due_date) && f.text("due_date").is_none() {
        f.problem(
            "due_date",
            format!(
                "required for tran_type {}",
                tran_type.unwrap_or(TranType::Invoice)
            ),
        );
    }
    let currency = currency_of(sync, f, &company, &customer);
    let credit = |m: Option<Money>| {
        if tran_type == Some(TranType::CreditMemo) {
            m.map(|m| -m.abs())
        } else {
            m
        }
    };
    let amount = credit(f.required_money("amount"));
    let balance = credit(f.required_money("balance"));
    let amount_hc = credit(home_amount(
        sync,
        f,
        &company,
        &currency,
        "amount_hc",
        amount,
    ));
    let balance_hc = credit(home_amount(
        sync,
        f,
        &company,
        &currency,
        "balance_hc",
        balance,
    ));
    if let Some(sold_to) = f.text("sold_to_id")
        && !sync.customers.exists(&key(&[&company, &sold_to]))
    {
        f.problem(
            "sold_to_id",
            format!("customer {sold_to:?} is neither in the store nor in this sync"),
        );
    }
    let mut row = InvoiceRow {
        tran_id: f.required_or_empty("tran_id"),
        tran_date: f.required_date("tran_date").unwrap_or_default(),
        tran_type: tran_type.unwrap_or(TranType::Invoice),
        due_date,
        amount: amount.unwrap_or_default(),
        balance: balance.unwrap_or_default(),
        amount_hc: amount_hc.unwrap_or_default(),
        balance_hc: balance_hc.unwrap_or_default(),
        texts: Default::default(),
        closing_date: None,
        company_id: company,
        customer_id: customer,
        currency,
    };
    for (slot, column) in row.texts.iter_mut().zip(&InvoiceRow::COLUMNS[11..21]) {
        *slot = f.text(column);
    }
    let k = key(&[&row.company_id, &row.tran_id]);
    let stored = sync
        .index
        .get(&row.company_id, &row.tran_id)
        .map(|e| (e.hash, e.item.closing_date));
    if row.balance.is_zero() {
        let applied = sync.closing.get(&k).copied();
        row.closing_date = applied
            .or(stored.and_then(|s| s.1))
            .or(Some(sync.options.sync_date));
    }
    let hash = row.content_hash();
    let good_row = good(f, row);
    if let Some(row) = &good_row {
        match stored {
            Some((h, closing)) if h == hash => {
                if closing != row.closing_date {
                    sync.closing_updates.push((
                        row.company_id.clone(),
                        row.tran_id.clone(),
                        row.closing_date,
                    ));
                    sync.index.set_closing(&k, row.closing_date);
                }
            }
            _ => sync.index.insert(&row.company_id, &indexed(row, hash)),
        }
    }
    if let Err(first) = sync
        .invoices
        .add_against(k, good_row, f.line, stored.map(|s| s.0))
    {
        duplicate(f, "tran_id", first);
    }
}

/// What the item index keeps of an invoice row.
fn indexed(row: &InvoiceRow, hash: i64) -> IndexedItem<'_> {
    IndexedItem {
        customer_id: &row.customer_id,
        tran_id: &row.tran_id,
        currency: &row.currency,
        hash,
        item: Item {
            tran_type: row.tran_type,
            tran_date: row.tran_date,
            due_date: row.due_date,
            amount: row.amount,
            balance: row.balance,
            amount_hc: row.amount_hc,
            balance_hc: row.balance_hc,
            closing_date: row.closing_date,
            excluded_hc: Money::ZERO,
        },
    }
}

/// Latest effective application date of every invoice, from the store and this sync.
pub(crate) fn closing_dates(sync: &Sync) -> HashMap<String, NaiveDate> {
    let mut latest: HashMap<String, NaiveDate> = HashMap::default();
    let mut note = |invoice: String, date: NaiveDate| {
        let slot = latest.entry(invoice).or_insert(date);
        *slot = (*slot).max(date);
    };
    for (k, state) in &sync.applications.stored {
        if sync.applications.folder.contains_key(k) {
            continue;
        }
        let mut parts = k.split(arrears_store::KEY_SEP);
        if let (Some(company), Some(_), Some(tran), Some(date)) =
            (parts.next(), parts.next(), parts.next(), state.date)
        {
            note(key(&[company, tran]), date);
        }
    }
    for (invoice, date) in &sync.applied {
        note(invoice.clone(), *date);
    }
    latest
}

/// Checks what could only be checked once every file was read, and settles closing dates
/// of stored invoices that new applications touched.
fn check_after_reading(sync: &mut Sync) {
    for (invoice, line) in std::mem::take(&mut sync.unresolved_invoices) {
        if !sync.invoices.folder.contains_key(&invoice) && sync.index.get_key(&invoice).is_none() {
            let tran = invoice
                .rsplit(arrears_store::KEY_SEP)
                .next()
                .unwrap_or_default();
            sync.problems.push(
                "payment_applications.csv",
                line,
                "tran_id",
                format!("invoice {tran:?} is neither in the store nor in this sync"),
            );
        }
    }
    let mut moved: Vec<(String, Option<NaiveDate>)> = Vec::new();
    for (invoice, _) in &sync.applied {
        if sync.invoices.folder.contains_key(invoice) {
            continue;
        }
        let Some(entry) = sync.index.get_key(invoice) else {
            continue;
        };
        let (stored, latest) = (entry.item.closing_date, sync.closing.get(invoice).copied());
        if stored.is_some() && latest.is_some() && stored != latest {
            moved.push((invoice.clone(), latest));
        }
    }
    for (invoice, date) in moved {
        if let Some((company, tran)) = invoice.split_once(arrears_store::KEY_SEP) {
            sync.closing_updates
                .push((company.to_owned(), tran.to_owned(), date));
        }
        sync.index.set_closing(&invoice, date);
    }
}
