//! `arrears rules list`: the credit class rules, as the setup files and the store hold them.

use std::process::ExitCode;

use arrears_domain::Value;
use arrears_store::{Record, RuleRow, Store};

use crate::AsOf;
use crate::output::{Format, Printer};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// List the rules of every credit class, or of one company or class, in sequence order.
    List {
        /// Only this company's rules.
        #[arg(long)]
        company: Option<String>,
        /// Only the rules of this credit class.
        #[arg(long = "credit-class")]
        credit_class: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show every rule of a customer's credit class: whether it matched, the invoices it
    /// tagged, the values that decided it, and what generate would do.
    Explain {
        company: String,
        customer: String,
        #[command(flatten)]
        as_of: AsOf,
    },
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::List {
            company,
            credit_class,
            format,
        } => list(store, company, credit_class, format).await,
        Action::Explain {
            company,
            customer,
            as_of,
        } => explain(store, &company, &customer, as_of.date()).await,
    }
}

async fn explain(
    store: &Store,
    company: &str,
    customer: &str,
    as_of: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    let e = arrears_actions::explain(store, company, customer, as_of).await?;
    let Some(class) = &e.credit_class else {
        println!(
            "{company} {customer}: no credit class (the customer names none and company {company} has no default)"
        );
        return Ok(ExitCode::SUCCESS);
    };
    println!("{company} {customer}: credit class {class}, as of {as_of}");
    if e.rules.is_empty() {
        println!("  credit class {class} has no active rules");
    }
    for r in &e.rules {
        let kind = if r.standalone { ", standalone" } else { "" };
        println!(
            "rule {} {} ({} view{kind}): {}",
            r.seq_no, r.action_code, r.view, r.decision
        );
        println!("  filter: {}", r.filter);
        if !r.verdict.tagged.is_empty() {
            let tagged: Vec<String> = r
                .verdict
                .tagged
                .iter()
                .map(|(t, amount)| format!("{t} ({amount})"))
                .collect();
            println!("  tagged: {}", tagged.join(", "));
        }
        for (invoice, c) in &r.verdict.comparisons {
            let at = invoice
                .as_ref()
                .map(|i| format!("{i}: "))
                .unwrap_or_default();
            println!(
                "  {at}{}: {}",
                arrears_domain::rules::describe(c),
                if c.held { "yes" } else { "no" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(
    store: &Store,
    company: Option<String>,
    credit_class: Option<String>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let rules: Vec<RuleRow> = store.setup(company.as_deref()).await?;
    let mut out = Printer::new(RuleRow::COLUMNS, &[], format)?;
    let text = |t: &Option<String>| t.clone().map_or(Value::None, Value::Text);
    for r in rules
        .iter()
        .filter(|r| credit_class.as_ref().is_none_or(|c| *c == r.credit_class))
    {
        out.push(&[
            Value::Text(r.company_id.clone()),
            Value::Text(r.credit_class.clone()),
            Value::Int(r.seq_no),
            Value::Text(r.action_code.clone()),
            Value::Text(r.view.clone()),
            Value::Text(r.filter.clone()),
            Value::Bool(r.standalone),
            Value::Bool(r.create_if_exists),
            Value::Bool(r.auto_close),
            r.days_to_respond.into(),
            text(&r.override_user),
            r.followup_days.into(),
            text(&r.followup_user),
            Value::Bool(r.active),
        ]);
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
