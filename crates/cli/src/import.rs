//! `arrears import DIR`: one sync.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use arrears_import::{Failure, Options, Report};
use arrears_store::{FileCounts, Store};

use crate::AsOf;

#[derive(clap::Args)]
pub struct Args {
    /// The folder of CSV files to import.
    dir: PathBuf,
    #[command(flatten)]
    as_of: AsOf,
    /// Who runs the sync, for its record (default: the login name).
    #[arg(long)]
    user: Option<String>,
    /// No progress line, even on a terminal.
    #[arg(long)]
    quiet: bool,
}

pub async fn run(store: &Store, url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let options = Options {
        sync_date: args.as_of.date(),
        run_by: args.user.unwrap_or_else(current_user),
        progress: !args.quiet && std::io::stderr().is_terminal(),
        source: None,
    };
    // A first book on SQLite is loaded under a rollback journal when nothing else has the
    // store open; the store then goes back to its write-ahead log.
    let first_book = store.backend() == "sqlite" && store.holds_no_book().await?;
    let store = if first_book {
        store.close().await;
        match Store::open_for_first_book(url).await? {
            Some(first) => first,
            None => Store::open(url).await?,
        }
    } else {
        store.clone()
    };
    let synced = arrears_import::sync(&store, &args.dir, options).await;
    if first_book {
        store.close().await;
        match Store::open(url).await {
            Ok(reopened) => reopened.close().await,
            Err(e) => eprintln!(
                "warning: the store goes back to its write-ahead log when next opened: {e}"
            ),
        }
    }
    match synced {
        Ok(report) => {
            warn(&report.warnings);
            println!("{}", summary(&report));
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure::Problems {
            sync_id,
            problems,
            more,
            warnings,
        }) => {
            warn(&warnings);
            for problem in &problems {
                eprintln!("{problem}");
            }
            if more > 0 {
                eprintln!("… and {more} more problem(s)");
            }
            let total = problems.len() as u64 + more;
            eprintln!(
                "arrears: sync {sync_id} failed with {total} problem(s); nothing was imported"
            );
            Ok(ExitCode::FAILURE)
        }
        Err(other) => Err(other.into()),
    }
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// One line: the sync, each file's counts, warnings and time.
fn summary(report: &Report) -> String {
    let files: Vec<String> = report.files.iter().map(counts).collect();
    let warnings = match report.warnings.len() {
        0 => String::new(),
        n => format!("; {n} warning(s)"),
    };
    let p = &report.promises;
    let promises = match (p.kept, p.broken) {
        (0, 0) => String::new(),
        (kept, broken) => format!("; promises: {kept} kept, {broken} broken"),
    };
    format!(
        "sync {}: {}{warnings}{promises}; {:.2} s",
        report.sync_id,
        files.join("; "),
        report.elapsed.as_secs_f64()
    )
}

pub fn counts(f: &FileCounts) -> String {
    format!(
        "{} {} rows ({} new, {} changed, {} unchanged)",
        f.file, f.rows, f.inserted, f.updated, f.unchanged
    )
}

/// Who runs a command, for the logs: `$USER`, else `unknown`.
pub fn current_user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}
