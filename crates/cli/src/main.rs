//! `arrears`: the command line of the collections platform.

mod actions;
mod aging;
mod assign;
mod demo;
mod history;
mod import;
mod output;
mod rules;
mod serve;
mod settings;
mod setup;
mod syncs;
mod users;

use std::process::ExitCode;

use anyhow::Context as _;
use arrears_store::Store;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

/// A sync hands millions of small rows from the reading thread to the writing one; mimalloc
/// frees them across threads far more cheaply than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Accounts-receivable collections: the book, its aging, and who to call today.
#[derive(Parser)]
#[command(name = "arrears", version, about)]
struct Cli {
    /// The store: sqlite://PATH, postgres://…, or a SQLite file path.
    #[arg(
        long,
        global = true,
        env = "ARREARS_DB",
        default_value = "sqlite://arrears.db"
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import one sync: a folder of CSV files, all or nothing.
    Import(import::Args),
    /// The aging and the figures, per customer, invoice or company.
    Aging(aging::Args),
    /// List the recorded syncs, newest first.
    Syncs(syncs::Args),
    /// Generate, preview and list the collectors' actions.
    Actions(actions::Args),
    /// Run the credit class schedules that are due (once per due date).
    RunSchedules(actions::ScheduleArgs),
    /// The credit class rules: list them, or explain one customer's.
    Rules(rules::Args),
    /// Install the starter collections setup.
    Setup(setup::Args),
    /// Read or change the site settings.
    Settings(settings::Args),
    /// Fill the store with a realistic synthetic book.
    Demo(demo::Args),
    /// Serve the web application and the JSON API.
    Serve(serve::Args),
    /// Add users, set their passwords, disable them.
    User(users::UserArgs),
    /// Create, list and revoke API tokens.
    Token(users::TokenArgs),
    /// Assign customers to a user, to the unassigned pool, or back to customers.csv's word.
    Assign(assign::Args),
    /// The event log: every change to issues, activities and disputes, who made it and when.
    History(history::Args),
}

/// `--as-of`: the business date, today unless given.
#[derive(clap::Args, Clone, Copy)]
pub struct AsOf {
    /// The business date (YYYY-MM-DD); today when absent.
    #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: Option<NaiveDate>,
}

impl AsOf {
    /// The date given, if one was.
    pub fn given(self) -> Option<NaiveDate> {
        self.as_of
    }

    pub fn date(self) -> NaiveDate {
        self.as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    arrears_domain::parse_date(text)
}

fn main() -> ExitCode {
    // A reader that stops early (`arrears aging | head`) ends the command quietly, as it
    // does any other command-line tool, instead of a failed write.
    // SAFETY: restoring the default action of a signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::panic::set_hook(Box::new(|info| {
        eprintln!("arrears: internal error: {info}");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // The first paragraph of clap's message (a heading and the arguments it names)
            // on one line.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.trim_start_matches("error: ");
            let first = if first.is_empty() {
                "bad arguments"
            } else {
                first
            };
            eprintln!("arrears: {first} (see arrears --help)");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("arrears: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("arrears: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let store = Store::open(&cli.db).await?;
    let code = match cli.command {
        Command::Import(args) => import::run(&store, &cli.db, args).await?,
        Command::Aging(args) => aging::run(&store, args).await?,
        Command::Syncs(args) => syncs::run(&store, args).await?,
        Command::Actions(args) => actions::run(&store, args).await?,
        Command::RunSchedules(args) => actions::run_schedules(&store, args).await?,
        Command::Rules(args) => rules::run(&store, args).await?,
        Command::Settings(args) => settings::run(&store, args).await?,
        Command::Setup(args) => setup::run(&store, args).await?,
        Command::Demo(args) => demo::run(&store, args).await.context("demo")?,
        Command::Serve(args) => serve::run(store.clone(), args).await?,
        Command::User(args) => users::user(&store, args).await?,
        Command::Token(args) => users::token(&store, args).await?,
        Command::History(args) => history::run(&store, args).await?,
        Command::Assign(args) => assign::run(&store, args).await?,
    };
    store.close().await;
    Ok(code)
}
