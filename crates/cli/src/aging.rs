//! `arrears aging`: the aging and the figures, per customer, open item or company.

use std::collections::HashMap;
use std::process::ExitCode;

use arrears_domain::value::{figure_values, item_values};
use arrears_domain::{Context, Figures, History, Item, ItemFigures, Value};
use arrears_store::{CustomerRecord, Store};

use crate::AsOf;
use crate::output::{Format, Report};

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

/// The items of the chosen customers, grouped by customer in the order of the customers;
/// with `tran_id` and currency of each item when the report prints items.
#[derive(Default)]
struct Book {
    items: Vec<Vec<Item>>,
    ids: Vec<Vec<(String, String)>>,
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let companies = store.companies().await?;
    if let Some(wanted) = &args.company
        && !companies.iter().any(|c| &c.company_id == wanted)
    {
        anyhow::bail!("--company: no company {wanted:?} in the store");
    }
    let ctx = Context {
        as_of: args.as_of.date(),
        settings: store.settings().await?,
    };
    let customers = store.customers(args.company.as_deref()).await?;
    let book = load(
        store,
        &customers,
        args.company.as_deref(),
        args.by == By::Invoice,
    )
    .await?;
    let mut report = match args.by {
        By::Customer => by_customer(&customers, &book, &ctx),
        By::Invoice => by_invoice(&customers, &book, &ctx),
        By::Company => {
            let names: Vec<(String, String, String)> = companies
                .into_iter()
                .filter(|c| args.company.as_ref().is_none_or(|w| *w == c.company_id))
                .map(|c| (c.company_id, c.name, c.home_currency))
                .collect();
            by_company(&names, &customers, &book, &ctx)
        }
    };
    let wanted: Vec<String> = match (args.columns.is_empty(), args.format, args.by) {
        (false, ..) => args.columns.clone(),
        (true, Format::Table, By::Customer) => TABLE_CUSTOMER.map(String::from).to_vec(),
        (true, Format::Table, By::Invoice) => TABLE_INVOICE.map(String::from).to_vec(),
        (true, Format::Table, By::Company) => TABLE_COMPANY.map(String::from).to_vec(),
        (true, ..) => vec!["all".into()],
    };
    report.select(&wanted)?;
    report.print(args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// Every item of the chosen customers.
async fn load(
    store: &Store,
    customers: &[CustomerRecord],
    company: Option<&str>,
    keep_ids: bool,
) -> anyhow::Result<Book> {
    let mut index: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for (i, c) in customers.iter().enumerate() {
        index
            .entry(c.company_id.as_str())
            .or_default()
            .insert(c.customer_id.as_str(), i);
    }
    let mut book = Book {
        items: vec![Vec::new(); customers.len()],
        ids: Vec::new(),
    };
    if keep_ids {
        book.ids = vec![Vec::new(); customers.len()];
    }
    store
        .items(company, |row| {
            let Some(&i) = index
                .get(row.company_id)
                .and_then(|m| m.get(row.customer_id))
            else {
                return;
            };
            book.items[i].push(row.item);
            if keep_ids {
                book.ids[i].push((row.tran_id.to_owned(), row.currency.to_owned()));
            }
        })
        .await?;
    Ok(book)
}

fn text(t: &Option<String>) -> Value {
    t.clone().map_or(Value::None, Value::Text)
}

fn by_customer(customers: &[CustomerRecord], book: &Book, ctx: &Context) -> Report {
    let mut report = Report {
        columns: vec![
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
        ],
        rows: Vec::with_capacity(customers.len()),
    };
    for (c, items) in customers.iter().zip(&book.items) {
        let figures = figure_values(&Figures::of(items, ctx), c.credit_limit, &ctx.settings);
        if report.columns.len() == 10 {
            report.columns.extend(figures.iter().map(|(name, _)| *name));
        }
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
        row.extend(figures.into_iter().map(|(_, v)| v));
        report.rows.push(row);
    }
    report
}

fn by_invoice(customers: &[CustomerRecord], book: &Book, ctx: &Context) -> Report {
    let mut report = Report {
        columns: vec![
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
        ],
        rows: Vec::new(),
    };
    for ((c, items), ids) in customers.iter().zip(&book.items).zip(&book.ids) {
        let history = History::of(items, ctx);
        let mut open: Vec<(&Item, &(String, String))> =
            items.iter().zip(ids).filter(|(i, _)| i.is_open()).collect();
        open.sort_by(|a, b| (a.0.tran_date, &a.1.0).cmp(&(b.0.tran_date, &b.1.0)));
        for (i, (tran_id, currency)) in open {
            let figures = item_values(i, &ItemFigures::of(i, &history, ctx));
            if report.columns.len() == 11 {
                report.columns.extend(figures.iter().map(|(name, _)| *name));
            }
            let mut row = vec![
                Value::Text(c.company_id.clone()),
                Value::Text(c.customer_id.clone()),
                Value::Text(tran_id.clone()),
                Value::Text(i.tran_type.code().into()),
                Value::Date(i.tran_date),
                i.due_date.map_or(Value::None, Value::Date),
                Value::Text(currency.clone()),
                Value::Money(i.amount),
                Value::Money(i.balance),
                Value::Money(i.amount_hc),
                Value::Money(i.balance_hc),
            ];
            row.extend(figures.into_iter().map(|(_, v)| v));
            report.rows.push(row);
        }
    }
    report
}

fn by_company(
    companies: &[(String, String, String)],
    customers: &[CustomerRecord],
    book: &Book,
    ctx: &Context,
) -> Report {
    let mut totals: HashMap<&str, (i64, Figures)> = HashMap::new();
    for (c, items) in customers.iter().zip(&book.items) {
        let entry = totals.entry(c.company_id.as_str()).or_default();
        entry.0 += 1;
        entry.1.merge(&Figures::of(items, ctx));
    }
    let mut report = Report {
        columns: vec!["company_id", "name", "home_currency", "customers"],
        rows: Vec::new(),
    };
    for (id, name, home) in companies {
        let (count, figures) = totals.remove(id.as_str()).unwrap_or_default();
        let values = figure_values(&figures, None, &ctx.settings);
        if report.columns.len() == 4 {
            report.columns.extend(values.iter().map(|(n, _)| *n));
        }
        let mut row = vec![
            Value::Text(id.clone()),
            Value::Text(name.clone()),
            Value::Text(home.clone()),
            Value::Int(count),
        ];
        row.extend(values.into_iter().map(|(_, v)| v));
        report.rows.push(row);
    }
    report
}
