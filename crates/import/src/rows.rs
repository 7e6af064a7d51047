//! The rules of each sync file: what a good row is, and what it refers to.

use arrears_domain::{Item, Money, TranType};
use arrears_store::pages::IndexedItem;
use arrears_store::{
    ApplicationRow, CompanyRow, ContactRow, CustomerRow, InvoiceRow, PaymentRow, Record, UserRow,
    key,
};

use crate::Sync;
use crate::csvfile::Fields;

/// The row's company, which must be in the store or in `companies.csv`.
pub(crate) fn company_of(sync: &Sync, f: &mut Fields<'_>) -> Option<String> {
    let company = f.required("company_id")?.to_owned();
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

fn known_customer(
    sync: &Sync,
    f: &mut Fields<'_>,
    company: &str,
    column: &'static str,
) -> Option<String> {
    let customer = if column == "customer_id" {
        f.required(column)
    } else {
        f.text(column)
    }?
    .to_owned();
    if !sync.customers.exists(&key(&[company, &customer])) {
        f.problem(
            column,
            format!("customer {customer:?} is neither in the store nor in this sync"),
        );
    }
    Some(customer)
}

/// The row, when none of its fields had a problem.
pub(crate) fn good<R>(f: &Fields<'_>, row: R) -> Option<R> {
    (!f.is_bad()).then_some(row)
}

pub(crate) fn duplicate(f: &mut Fields<'_>, column: &str, first: u64) {
    f.problem(column, format!("duplicate key, first on line {first}"));
}

pub(crate) fn company(sync: &mut Sync, f: &mut Fields<'_>) {
    let company_id = f.required_or_empty("company_id");
    // An ERP's companies.csv does not know the default credit class: without the column,
    // the stored one stays.
    let default_credit_class = if f.has("default_credit_class") {
        let named = f.owned("default_credit_class");
        if let Some(class) = &named {
            sync.setup
                .default_classes
                .push((key(&[&company_id, class]), class.clone(), f.line));
        }
        named
    } else {
        sync.default_classes.get(&company_id).cloned()
    };
    let row = CompanyRow {
        company_id,
        name: f.required_or_empty("name"),
        home_currency: f.currency("home_currency", true).unwrap_or_default(),
        default_credit_class,
    };
    if !f.is_bad() {
        let before = sync
            .homes
            .insert(row.company_id.clone(), row.home_currency.clone());
        sync.moved.homes |= before.is_some_and(|b| b != row.home_currency);
    }
    if let Err(first) = sync
        .companies
        .add(row.company_id.as_str().into(), good(f, row), f.line)
    {
        duplicate(f, "company_id", first);
    }
}

pub(crate) fn user(sync: &mut Sync, f: &mut Fields<'_>) {
    let role = f.required("role").map(|r| r.to_ascii_lowercase());
    if let Some(Err(e)) = role.as_deref().map(str::parse::<arrears_domain::Role>) {
        f.problem("role", e.to_string());
    }
    let row = UserRow {
        user_id: f.required_or_empty("user_id"),
        name: f.required_or_empty("name"),
        email: f.owned("email"),
        role: role.unwrap_or_default(),
        manager: f.owned("manager"),
        active: f.flag("active", true),
    };
    if let Some(manager) = &row.manager {
        sync.forward.push((manager.as_str().into(), f.line));
    }
    if let Err(first) = sync
        .users
        .add(row.user_id.as_str().into(), good(f, row), f.line)
    {
        duplicate(f, "user_id", first);
    }
}

pub(crate) fn customer(sync: &mut Sync, f: &mut Fields<'_>) {
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
    for (slot, column) in row
        .texts
        .iter_mut()
        .zip(&CustomerRow::COLUMNS[CustomerRow::TEXTS])
    {
        *slot = if *column == "currency" {
            f.currency(column, false)
        } else {
            f.owned(column)
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
    let k = key(&[&row.company_id, &row.customer_id]);
    if sync.customers.stored(&k).is_some() {
        let before = sync.currencies.get(&k).map(String::as_str);
        sync.moved.currencies |= before != row.text("currency");
    }
    if let Some(currency) = row.text("currency") {
        sync.currencies.insert(k.clone(), currency.to_owned());
    }
    if let Err(first) = sync.customers.add(k, good(f, row), f.line) {
        duplicate(f, "customer_id", first);
    }
}

pub(crate) fn contact(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let customer = known_customer(sync, f, &company, "customer_id");
    let row = ContactRow {
        customer_id: customer.unwrap_or_default(),
        contact_id: f.required_or_empty("contact_id"),
        name: f.required_or_empty("name"),
        title: f.owned("title"),
        email: f.owned("email"),
        phone: f.owned("phone"),
        fax: f.owned("fax"),
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
    column: &'static str,
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

pub(crate) fn payment(sync: &mut Sync, f: &mut Fields<'_>) {
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
        tender_type: f.owned("tender_type"),
        reference: f.owned("reference"),
        unapplied_amount: f.money("unapplied_amount"),
        comment: f.owned("comment"),
        company_id: company,
        customer_id: customer,
        currency,
    };
    let k = key(&[&row.company_id, &row.payment_id]);
    let before = sync.payments.stored(&k).and_then(|s| s.date);
    sync.moved.payment_dates |= before.is_some_and(|d| d != row.payment_date);
    if let Err(first) = sync.payments.add(k, good(f, row), f.line) {
        duplicate(f, "payment_id", first);
    }
}

pub(crate) fn application(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company) = company_of(sync, f) else {
        return;
    };
    let payment_id = f.required_or_empty("payment_id");
    let tran_id = f.required_or_empty("tran_id");
    let payment_key = key(&[&company, &payment_id]);
    let payment_date = sync.payments().stored(&payment_key).and_then(|s| s.date);
    if !payment_id.is_empty() && payment_date.is_none() {
        f.problem(
            "payment_id",
            format!("payment {payment_id:?} is neither in the store nor in this sync"),
        );
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
    if f.is_bad() && !row.tran_id.is_empty() {
        sync.unresolved_invoices
            .push((key(&[&row.company_id, &row.tran_id]), f.line));
    }
    let k = key(&[&row.company_id, &row.payment_id, &row.tran_id]);
    if let Err(first) = sync.applications.add(k, good(f, row), f.line) {
        duplicate(f, "tran_id", first);
    }
}

pub(crate) fn invoice(sync: &mut Sync, f: &mut Fields<'_>) {
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
        && !sync.customers.exists(&key(&[&company, sold_to]))
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
        *slot = f.owned(column);
    }
    let k = key(&[&row.company_id, &row.tran_id]);
    let mut found = sync.index.find(&row.company_id, &row.tran_id);
    let seen = found
        .as_ref()
        .map(|f| f.entry.seen)
        .filter(|l| *l != 0)
        .or_else(|| sync.bad_invoices.get(&k).copied());
    if let Some(first) = seen {
        duplicate(f, "tran_id", u64::from(first));
        return;
    }
    let line = u32::try_from(f.line).unwrap_or(u32::MAX);
    if f.is_bad() {
        sync.bad_invoices.insert(k, line);
        return;
    }
    let stored = found.as_ref().map(|f| (f.entry.hash, f.entry.closing_date));
    // The applications to this invoice need no check once every file is read.
    let applied = sync.closing.get_mut(&k).map(|a| {
        a.line = 0;
        a.date
    });
    let mut unsettled = false;
    if row.balance.is_zero() {
        // A stored invoice this sync closes may have stored applications the sync did not read.
        unsettled =
            applied.is_none() && !sync.applications_read && stored.is_some_and(|s| s.1.is_none());
        row.closing_date = applied
            .or(stored.and_then(|s| s.1))
            .or(Some(sync.options.sync_date));
    }
    let hash = row.content_hash();
    match stored {
        Some((h, closing)) if h == hash => {
            if let Some(found) = &mut found {
                found.entry.seen = line;
                if closing != row.closing_date {
                    (sync.replaced).push(found.stored(&row.company_id, &row.tran_id));
                    found.set_closing(row.closing_date);
                    sync.closing_updates.push((
                        row.company_id.clone(),
                        row.tran_id.clone(),
                        row.closing_date,
                    ));
                }
            }
        }
        _ => {
            let replaced = sync
                .index
                .insert(&row.company_id, &indexed(&row, hash), line);
            sync.replaced.extend(replaced);
        }
    }
    // An unchanged row keeps the closing date worked out above.
    if unsettled && stored.is_some_and(|s| s.0 != hash) {
        sync.unsettled.push((row, hash, stored.map(|s| s.0)));
        return;
    }
    sync.invoices.queue(row, stored.map(|s| s.0), hash);
}

/// Once `invoices.csv` is read: the invoices it closed that have stored applications (which
/// the sync did not read) close on the latest of them, like every other.
pub(crate) fn settle_closing(sync: &mut Sync) -> Result<(), crate::Failure> {
    let unsettled = std::mem::take(&mut sync.unsettled);
    if unsettled.is_empty() {
        return Ok(());
    }
    let invoices: Vec<(&str, &str)> = unsettled
        .iter()
        .map(|(row, ..)| (row.company_id.as_str(), row.tran_id.as_str()))
        .collect();
    let latest =
        tokio::runtime::Handle::current().block_on(sync.store.latest_applications(&invoices))?;
    for (mut row, hash, stored) in unsettled {
        let applied = latest.get(&(row.company_id.clone(), row.tran_id.clone()));
        if let Some(date) = applied {
            row.closing_date = Some(*date);
            if let Some(mut found) = sync.index.find(&row.company_id, &row.tran_id) {
                found.set_closing(row.closing_date);
            }
        }
        sync.invoices.queue(row, stored, hash);
    }
    Ok(())
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
            plan: None,
        },
    }
}
