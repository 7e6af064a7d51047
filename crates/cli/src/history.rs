//! `arrears history`: the event log, for one customer or the whole book, in any format (an
//! export for auditors is `--format csv` or `json`).

use std::process::ExitCode;

use arrears_domain::Value;
use arrears_store::Store;

use crate::output::{Format, Printer};

#[derive(clap::Args)]
pub struct Args {
    /// One customer's history; every customer's and the setup's when left out.
    #[arg(long)]
    customer: Option<String>,
    /// The customer's company; needed only when the id is used in several.
    #[arg(long)]
    company: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let company = match (&args.customer, &args.company) {
        (Some(customer), None) => {
            let owners: Vec<String> = store
                .customers(None)
                .await?
                .into_iter()
                .filter(|c| c.customer_id == *customer)
                .map(|c| c.company_id)
                .collect();
            match owners.as_slice() {
                [] => anyhow::bail!("no customer {customer:?}"),
                [one] => Some(one.clone()),
                many => anyhow::bail!(
                    "customer {customer:?} is in companies {}; say which with --company",
                    many.join(", ")
                ),
            }
        }
        (_, company) => company.clone(),
    };
    let events = store
        .events(company.as_deref(), args.customer.as_deref())
        .await?;
    let columns = [
        "event_id",
        "at",
        "business_date",
        "user_id",
        "company_id",
        "customer_id",
        "entity",
        "entity_id",
        "action",
        "before",
        "after",
    ];
    let text = |t: &Option<String>| t.clone().map_or(Value::None, Value::Text);
    let mut out = Printer::new(&columns, &[], args.format)?;
    for e in &events {
        out.push(&[
            Value::Int(e.event_id),
            Value::Text(e.at.to_rfc3339()),
            Value::Date(e.business_date),
            Value::Text(e.user_id.clone()),
            text(&e.company_id),
            text(&e.customer_id),
            Value::Text(e.entity.clone()),
            Value::Text(e.entity_id.clone()),
            Value::Text(e.action.clone()),
            text(&e.before),
            text(&e.after),
        ]);
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
