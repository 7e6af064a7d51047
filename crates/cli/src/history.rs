//! `arrears history`: the event log, for one customer or the whole book, in any format (an
//! export for auditors is `--format csv` or `json`).

use std::process::ExitCode;

use arrears_domain::Value;
use arrears_store::{EventQuery, Store};
use chrono::NaiveDate;

use crate::output::{Format, Printer};

#[derive(clap::Args)]
pub struct Args {
    /// One customer's history; every customer's and the setup's when left out.
    #[arg(long)]
    customer: Option<String>,
    /// The customer's company; needed only when the id is used in several.
    #[arg(long)]
    company: Option<String>,
    /// Only changes to one kind of record: issue, activity, expected_payment, dispute,
    /// payment_plan, user_action, invoice_note, setting, user, company, credit_class,
    /// activity_type, action_code, reason_code, rule, calendar_day, user_action_type.
    #[arg(long)]
    entity: Option<String>,
    /// Only changes made on or after this business date.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Only changes made on or before this business date.
    #[arg(long)]
    to: Option<NaiveDate>,
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
    let query = EventQuery {
        company: company.as_deref(),
        customer: args.customer.as_deref(),
        entity: args.entity.as_deref(),
        from: args.from,
        to: args.to,
        after: None,
    };
    let events = store.events(&query).await?;
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
