//! `arrears setup defaults`: the starter collections ladder, as ordinary setup files.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use arrears_demo::starter::{self, Company};
use arrears_store::Store;
use chrono::NaiveDate;

use crate::AsOf;
use crate::import::counts;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Install the starter ladder in every company: credit class STANDARD (the default of
    /// companies that have none), its action codes and rules, run daily at 06:00.
    Defaults {
        /// Who escalations go to (default: the first active manager).
        #[arg(long)]
        manager: Option<String>,
        /// Keep the setup files in this folder.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        #[command(flatten)]
        as_of: AsOf,
    },
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let Action::Defaults {
        manager,
        export,
        as_of,
    } = args.action;
    let line = install(store, manager, export.as_deref(), as_of.date(), "setup").await?;
    println!("{line}");
    if let Some(dir) = &export {
        println!("setup files kept in {}", dir.display());
    }
    println!("next: arrears actions generate --preview");
    Ok(ExitCode::SUCCESS)
}

/// Writes the starter setup for the store's companies and imports it; gives a summary line.
pub async fn install(
    store: &Store,
    manager: Option<String>,
    export: Option<&Path>,
    as_of: NaiveDate,
    run_by: &str,
) -> anyhow::Result<String> {
    let companies = store.companies().await?;
    anyhow::ensure!(
        !companies.is_empty(),
        "no companies in the store: import companies.csv (or run arrears demo) first"
    );
    let manager = match manager {
        Some(m) => Some(m),
        None => store.active_users("manager").await?.into_iter().next(),
    };
    let scratch;
    let dir = match export {
        Some(dir) => dir.to_owned(),
        None => {
            scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
            scratch.path().to_owned()
        }
    };
    let list: Vec<Company<'_>> = companies
        .iter()
        .map(|c| Company {
            company_id: &c.company_id,
            name: &c.name,
            home_currency: &c.home_currency,
            default_credit_class: c.default_credit_class.as_deref(),
        })
        .collect();
    starter::write_starter(&dir, &list, manager.as_deref())
        .with_context(|| format!("cannot write the setup files to {}", dir.display()))?;
    let options = arrears_import::Options {
        sync_date: as_of,
        run_by: run_by.to_owned(),
        progress: std::io::stderr().is_terminal(),
        source: None,
    };
    let report = arrears_import::sync(store, &dir, options).await?;
    let files: Vec<String> = report.files.iter().map(counts).collect();
    let escalation = manager
        .map(|m| format!("escalations to {m}"))
        .unwrap_or_else(|| "no manager: escalations go to the assigned collector".into());
    Ok(format!(
        "starter setup: credit class {} in {} companies, {escalation}; sync {}: {}",
        starter::CLASS,
        companies.len(),
        report.sync_id,
        files.join("; ")
    ))
}
