//! `arrears assign`: put customers in a user's hands, in the unassigned pool, or back where
//! customers.csv says; chosen by id or by a filter in the rules' language.

use std::process::ExitCode;

use anyhow::bail;
use arrears_actions::matching_customers;
use arrears_domain::filter::{Filter, View};
use arrears_store::{AssignTo, Store};

use crate::AsOf;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("to").required(true).args(["user", "pool", "sync"])))]
#[command(group(clap::ArgGroup::new("which").required(true).args(["customer", "filter"])))]
pub struct Args {
    /// The user to assign the customers to; later syncs keep it.
    #[arg(long = "to", value_name = "USER_ID")]
    user: Option<String>,
    /// Put the customers in the company's unassigned pool; later syncs keep it.
    #[arg(long)]
    pool: bool,
    /// Hand the customers back to the assignment customers.csv gives them.
    #[arg(long)]
    sync: bool,
    /// A customer id (with --company); may be given again.
    #[arg(long, requires = "company")]
    customer: Vec<String>,
    /// Every customer this customer-view filter matches on the business date.
    #[arg(long)]
    filter: Option<String>,
    /// Only this company's customers.
    #[arg(long)]
    company: Option<String>,
    /// Say how many customers would change, and change nothing.
    #[arg(long)]
    preview: bool,
    #[command(flatten)]
    as_of: AsOf,
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let as_of = args.as_of.date();
    if let Some(wanted) = &args.company
        && !store
            .companies()
            .await?
            .iter()
            .any(|c| c.company_id == *wanted)
    {
        bail!("--company: no company {wanted:?} in the store");
    }
    let to = match (&args.user, args.pool) {
        (Some(user), _) => AssignTo::User(Some(user.as_str())),
        (None, true) => AssignTo::User(None),
        (None, false) => AssignTo::Sync,
    };
    let customers: Vec<(String, String)> = match &args.filter {
        Some(text) => {
            let filter =
                Filter::new(text, View::Customer).map_err(|e| anyhow::anyhow!("--filter: {e}"))?;
            let matched =
                matching_customers(store, args.company.as_deref(), &filter, as_of).await?;
            if let Some(first) = matched.errors.first() {
                bail!(
                    "--filter failed on {} customer(s), nothing was changed; the first: {first}",
                    matched.errors.len()
                );
            }
            matched.customers
        }
        None => {
            let company = args.company.clone().unwrap_or_default();
            args.customer
                .iter()
                .map(|c| (company.clone(), c.clone()))
                .collect()
        }
    };
    let user = crate::import::current_user();
    let actor = arrears_store::Actor {
        user_id: &user,
        at: chrono::Utc::now(),
        business_date: as_of,
    };
    let whom = match to {
        AssignTo::User(Some(u)) => format!("to {u}"),
        AssignTo::User(None) => "to the unassigned pool".to_owned(),
        AssignTo::Sync => "back to customers.csv's assignment".to_owned(),
    };
    if args.preview {
        let changing = store.assign_preview(&customers, to).await??;
        println!(
            "{} customer(s) matched; {changing} would move {whom} (nothing changed)",
            customers.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let changed = store.assign(actor, &customers, to).await??;
    println!(
        "{} customer(s) matched; {changed} moved {whom}",
        customers.len()
    );
    Ok(ExitCode::SUCCESS)
}
