//! `arrears aging`: the aging and the figures, per customer, open item or company.

use std::collections::HashMap;
use std::process::ExitCode;

use arrears_domain::disputes::Disputes;
use arrears_domain::plans::{self, Plans};
use arrears_domain::promises::Promises;
use arrears_domain::then::Then;
use arrears_domain::value::{
    figure_names, figure_values, item_names, item_values, promise_names, promise_values,
};
use arrears_domain::{Context, Figures, History, Item, ItemFigures, Value};
use arrears_store::{CustomerRecord, Scope, Store};
use chrono::NaiveDate;

use crate::AsOf;
use crate::output::{Format, Printer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum By {
    Customer,
    Invoice,
    Company,
}

#[derive(clap::Args)]
pub struct Args {
    /// One row per customer, per open item, or per company.
    #[arg(long, value_enum, default_value_t = By::Customer)]
    by: By,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    as_of: AsOf,
    /// Only this company.
    #[arg(long)]
    company: Option<String>,
    /// Columns to print, comma separated, or `all` (tables show a short set by default).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
}

const TABLE_CUSTOMER: [&str; 13] = [
    "company_id",
    "customer_id",
    "name",
    "total_age",
    "due_current",
    "due_age_1",
    "due_age_2",
    "due_age_3",
    "due_age_4",
    "due_age_5",
    "available_credit",
    "avg_days_late",
    "dso",
];
const TABLE_INVOICE: [&str; 11] = [
    "company_id",
    "customer_id",
    "tran_id",
    "tran_type",
    "tran_date",
    "due_date",
    "balance_hc",
    "tran_date_days",
    "due_date_days",
    "percent_paid",
    "proj_pmt_date",
];
const TABLE_COMPANY: [&str; 11] = [
    "company_id",
    "name",
    "home_currency",
    "customers",
    "total_age",
    "total_past_due",
    "over_30",
    "over_60",
    "over_90",
    "avg_days_late",
    "dso",
];
const CUSTOMER_COLUMNS: [&str; 10] = [
    "company_id",
    "customer_id",
    "name",
    "parent_id",
    "customer_class",
    "credit_class",
    "status",
    "currency",
    "credit_hold",
    "assigned_user",
];
const COMPANY_COLUMNS: [&str; 4] = ["company_id", "name", "home_currency", "customers"];
const INVOICE_COLUMNS: [&str; 11] = [
    "company_id",
    "customer_id",
    "tran_id",
    "tran_type",
    "tran_date",
    "due_date",
    "currency",
    "amount",
    "balance",
    "amount_hc",
    "balance_hc",
];

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let company = args.company.as_deref();
    if let Some(wanted) = company
        && !store
            .companies()
            .await?
            .iter()
            .any(|c| c.company_id == wanted)
    {
        anyhow::bail!("--company: no company {wanted:?} in the store");
    }
    let ctx = Context {
        as_of: args.as_of.date(),
        settings: store.settings().await?,
    };
    let wanted: Vec<String> = match (args.columns.is_empty(), args.format, args.by) {
        (false, ..) => args.columns.clone(),
        (true, Format::Table, By::Customer) => TABLE_CUSTOMER.map(String::from).to_vec(),
        (true, Format::Table, By::Invoice) => TABLE_INVOICE.map(String::from).to_vec(),
        (true, Format::Table, By::Company) => TABLE_COMPANY.map(String::from).to_vec(),
        (true, ..) => Vec::new(),
    };
    let columns: Vec<&'static str> = match args.by {
        By::Customer => CUSTOMER_COLUMNS
            .iter()
            .copied()
            .chain(figure_names())
            .chain(promise_names())
            .collect(),
        By::Invoice => INVOICE_COLUMNS
            .iter()
            .copied()
            .chain(item_names())
            .collect(),
        By::Company => COMPANY_COLUMNS
            .iter()
            .copied()
            .chain(figure_names())
            .collect(),
    };
    let mut printer = Printer::new(&columns, &wanted, args.format)?;
    match args.by {
        By::Customer => by_customer(store, company, &ctx, &mut printer).await?,
        By::Invoice => by_invoice(store, company, &ctx, &mut printer).await?,
        By::Company => by_company(store, company, &ctx, &mut printer).await?,
    }
    printer.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Every customer's items as the aging sees them on `as_of`: as the syncs up to that day left
/// them, invoices under a payment plan split into their instalments, less what the disputes
/// open that day exclude.
async fn scan(
    store: &Store,
    company: Option<&str>,
    as_of: NaiveDate,
    mut each: impl FnMut(&str, &str, &[Item], &[(&str, &str)]),
) -> anyhow::Result<()> {
    let disputes = Disputes::new(store.open_disputes(Scope::company(company), as_of).await?);
    let plans = Plans::new(store.plans_in_force(Scope::company(company), as_of).await?);
    let then = Then::new(store.invoices_then(Scope::company(company), as_of).await?);
    Ok(store
        .customer_items(company, |company_id, customer_id, items, ids| {
            let (items, ids) = plans::adjust(
                &then,
                &plans,
                &disputes,
                company_id,
                customer_id,
                items,
                ids,
            );
            each(company_id, customer_id, &items, &ids)
        })
        .await?)
}

/// Customer positions by company and id.
fn positions(customers: &[CustomerRecord]) -> HashMap<&str, HashMap<&str, usize>> {
    let mut index: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for (i, c) in customers.iter().enumerate() {
        index
            .entry(c.company_id.as_str())
            .or_default()
            .insert(c.customer_id.as_str(), i);
    }
    index
}

fn text(t: &Option<String>) -> Value {
    t.clone().map_or(Value::None, Value::Text)
}

/// The customers of one company, or of all, and `each(position, company_id, customer_id,
/// items, ids)` for every one of them that has items.
async fn scan_customers(
    store: &Store,
    company: Option<&str>,
    as_of: NaiveDate,
    mut each: impl FnMut(usize, &str, &str, &[Item], &[(&str, &str)]),
) -> anyhow::Result<Vec<CustomerRecord>> {
    let customers = store.customers_as_of(company, as_of).await?;
    let index = positions(&customers);
    scan(
        store,
        company,
        as_of,
        |company_id, customer_id, items, ids| {
            if let Some(&i) = index.get(company_id).and_then(|m| m.get(customer_id)) {
                each(i, company_id, customer_id, items, ids);
            }
        },
    )
    .await?;
    Ok(customers)
}

async fn by_customer(
    store: &Store,
    company: Option<&str>,
    ctx: &Context,
    out: &mut Printer,
) -> anyhow::Result<()> {
    let mut figures: HashMap<usize, Figures> = HashMap::new();
    let customers = scan_customers(store, company, ctx.as_of, |i, _, _, items, _| {
        figures.insert(i, Figures::of(items, ctx));
    })
    .await?;
    let promises = Promises::new(store.promise_book(Scope::company(company), false).await?);
    let none = Figures::default();
    for (i, c) in customers.iter().enumerate() {
        let f = figures.get(&i).unwrap_or(&none);
        let mut row = vec![
            Value::Text(c.company_id.clone()),
            Value::Text(c.customer_id.clone()),
            Value::Text(c.name.clone()),
            text(&c.parent_id),
            text(&c.customer_class),
            text(&c.credit_class),
            text(&c.status),
            text(&c.currency),
            Value::Bool(c.credit_hold),
            text(&c.assigned_user),
        ];
        row.extend(
            figure_values(f, c.credit_limit, &ctx.settings)
                .into_iter()
                .map(|(_, v)| v),
        );
        let p = promises.figures(&c.company_id, &c.customer_id, ctx.as_of);
        row.extend(promise_values(&p).into_iter().map(|(_, v)| v));
        out.push(&row);
    }
    Ok(())
}

async fn by_invoice(
    store: &Store,
    company: Option<&str>,
    ctx: &Context,
    out: &mut Printer,
) -> anyhow::Result<()> {
    let mut rows: HashMap<usize, Vec<Vec<Value>>> = HashMap::new();
    let customers = scan_customers(
        store,
        company,
        ctx.as_of,
        |c, company_id, customer_id, items, ids| {
            let history = History::of(items, ctx);
            let mut open: Vec<(&Item, &(&str, &str))> =
                items.iter().zip(ids).filter(|(i, _)| i.is_open()).collect();
            open.sort_by(|a, b| (a.0.tran_date, a.1.0).cmp(&(b.0.tran_date, b.1.0)));
            for (i, (tran_id, currency)) in open {
                let mut row = vec![
                    Value::Text(company_id.to_owned()),
                    Value::Text(customer_id.to_owned()),
                    Value::Text((*tran_id).to_owned()),
                    Value::Text(i.tran_type.code().into()),
                    Value::Date(i.tran_date),
                    i.due_date.map_or(Value::None, Value::Date),
                    Value::Text((*currency).to_owned()),
                    Value::Money(i.amount),
                    Value::Money(i.balance),
                    Value::Money(i.amount_hc),
                    Value::Money(i.balance_hc),
                ];
                row.extend(
                    item_values(i, &ItemFigures::of(i, &history, ctx))
                        .into_iter()
                        .map(|(_, v)| v),
                );
                rows.entry(c).or_default().push(row);
            }
        },
    )
    .await?;
    for c in 0..customers.len() {
        for row in rows.get(&c).into_iter().flatten() {
            out.push(row);
        }
    }
    Ok(())
}

async fn by_company(
    store: &Store,
    company: Option<&str>,
    ctx: &Context,
    out: &mut Printer,
) -> anyhow::Result<()> {
    let counts = store.customer_counts_as_of(ctx.as_of).await?;
    let mut totals: HashMap<String, Figures> = HashMap::new();
    scan(store, company, ctx.as_of, |company_id, _, items, _| {
        totals
            .entry(company_id.to_owned())
            .or_default()
            .merge(&Figures::of(items, ctx));
    })
    .await?;
    let companies = store.companies().await?;
    for c in companies
        .iter()
        .filter(|c| company.is_none_or(|w| w == c.company_id))
    {
        let figures = totals.remove(&c.company_id).unwrap_or_default();
        let mut row = vec![
            Value::Text(c.company_id.clone()),
            Value::Text(c.name.clone()),
            Value::Text(c.home_currency.clone()),
            Value::Int(counts.get(&c.company_id).copied().unwrap_or(0)),
        ];
        row.extend(
            figure_values(&figures, None, &ctx.settings)
                .into_iter()
                .map(|(_, v)| v),
        );
        out.push(&row);
    }
    Ok(())
}
