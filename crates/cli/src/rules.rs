//! `arrears rules list`: the credit class rules, as the setup files and the store hold them.

use std::process::ExitCode;

use arrears_domain::Value;
use arrears_store::{Record, RuleRow, Store};

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
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let Action::List {
        company,
        credit_class,
        format,
    } = args.action;
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
