//! `arrears actions generate|list|runs`: the rules turned into each collector's work.

use std::process::ExitCode;

use arrears_actions::{ChangeKind, Options};
use arrears_domain::Value;
use arrears_store::{Queue, Store};

use crate::AsOf;
use crate::output::{Format, Printer};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Evaluate the credit class rules: open the issues they call for, close the others.
    Generate {
        /// Print what would be created and closed; write nothing.
        #[arg(long)]
        preview: bool,
        /// Only this credit class.
        #[arg(long = "credit-class")]
        credit_class: Option<String>,
        /// Only this company's customers.
        #[arg(long)]
        company: Option<String>,
        #[command(flatten)]
        as_of: AsOf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Who runs it, for the log (default: $USER).
        #[arg(long)]
        user: Option<String>,
        /// Also print where the time went, on standard error (the filters: the processor
        /// time the deciding threads spent in them).
        #[arg(long)]
        timings: bool,
    },
    /// The work queue: issues by priority, then respond-by date.
    List {
        /// Only this user's issues.
        #[arg(long, conflicts_with = "unassigned")]
        user: Option<String>,
        /// Only the unassigned pool: issues of customers nobody is assigned to.
        #[arg(long)]
        unassigned: bool,
        /// Only open issues.
        #[arg(long)]
        open: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The day the `due` column is judged on (not due, due today, past due).
        #[command(flatten)]
        as_of: AsOf,
    },
    /// The log of generate runs, newest first.
    Runs {
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Also print each run's errors.
        #[arg(long)]
        errors: bool,
    },
}

const CHANGE_COLUMNS: [&str; 11] = [
    "change",
    "company_id",
    "customer_id",
    "credit_class",
    "seq_no",
    "action_code",
    "user_id",
    "start_date",
    "respond_by",
    "tagged",
    "reason",
];

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Generate {
            preview,
            credit_class,
            company,
            as_of,
            format,
            user,
            timings,
        } => {
            let options = Options {
                as_of: as_of.date(),
                company,
                credit_class,
                preview,
                run_by: user.unwrap_or_else(crate::import::current_user),
                source: "manual".into(),
            };
            generate(store, &options, format, timings).await
        }
        Action::List {
            user,
            unassigned,
            open,
            format,
            as_of,
        } => {
            let queue = match (&user, unassigned) {
                (Some(u), _) => Queue::User(u),
                (None, true) => Queue::Unassigned,
                (None, false) => Queue::Everyone,
            };
            list(store, queue, open, format, as_of.date()).await
        }
        Action::Runs {
            limit,
            format,
            errors,
        } => runs(store, limit, format, errors).await,
    }
}

async fn generate(
    store: &Store,
    options: &Options,
    format: Format,
    timings: bool,
) -> anyhow::Result<ExitCode> {
    let outcome = arrears_actions::generate(store, options).await?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&outcome.changes)?);
    } else {
        let mut out = Printer::new(&CHANGE_COLUMNS, &[], format)?;
        for c in &outcome.changes {
            out.push(&[
                Value::Text(
                    match c.change {
                        ChangeKind::Create => "create",
                        ChangeKind::Close => "close",
                    }
                    .into(),
                ),
                Value::Text(c.company_id.clone()),
                Value::Text(c.customer_id.clone()),
                Value::Text(c.credit_class.clone()),
                Value::Int(c.seq_no),
                Value::Text(c.action_code.clone()),
                c.user_id.clone().map_or(Value::None, Value::Text),
                Value::Date(c.start_date),
                Value::Date(c.respond_by),
                Value::Text(c.tagged.join(" ")),
                Value::Text(c.reason.clone()),
            ]);
        }
        out.finish()?;
    }
    for e in &outcome.errors {
        eprintln!("arrears: {e}");
    }
    let created = outcome
        .changes
        .iter()
        .filter(|c| c.change == ChangeKind::Create)
        .count();
    let closed = outcome.changes.len() - created;
    if timings {
        let t = &outcome.timings;
        eprintln!(
            "timings: load {:.3} s; evaluate {:.3} s ({} customers; filters {:.3} s for {} runs); write {:.3} s",
            t.load.as_secs_f64(),
            t.evaluate.as_secs_f64(),
            t.customers,
            t.filters.as_secs_f64(),
            t.filter_runs,
            t.write.as_secs_f64()
        );
    }
    match outcome.run_id {
        Some(id) => eprintln!(
            "generate {}: {created} created, {closed} closed, {} error(s) (run {id})",
            options.as_of,
            outcome.errors.len()
        ),
        None => eprintln!(
            "preview {}: would create {created}, close {closed}; nothing written",
            options.as_of
        ),
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(
    store: &Store,
    user: Queue<'_>,
    open_only: bool,
    format: Format,
    today: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    let columns = [
        "issue_id",
        "priority",
        "respond_by",
        "due",
        "company_id",
        "customer_id",
        "name",
        "subject",
        "action_code",
        "activity_type",
        "user_id",
        "start_date",
        "followup_date",
        "tagged",
        "tagged_amount",
        "status",
        "reason",
    ];
    let mut out = Printer::new(&columns, &[], format)?;
    for q in store.work_queue(user, !open_only).await? {
        let i = &q.issue;
        let due = match q.respond_by {
            _ if !i.is_open => "",
            Some(d) if d < today => "past due",
            Some(d) if d == today => "due today",
            _ => "not due",
        };
        let text = |t: &Option<String>| t.clone().map_or(Value::None, Value::Text);
        let date = |d: Option<chrono::NaiveDate>| d.map_or(Value::None, Value::Date);
        out.push(&[
            Value::Int(i.issue_id),
            Value::Int(i.priority),
            date(q.respond_by),
            Value::Text(due.into()),
            Value::Text(i.company_id.clone()),
            Value::Text(i.customer_id.clone()),
            text(&q.customer_name),
            Value::Text(i.subject.clone()),
            Value::Text(i.action_code.clone()),
            text(&q.activity_type),
            text(&i.assigned_user),
            date(q.start_date),
            date(q.followup_date),
            Value::Int(q.tagged),
            Value::Money(q.tagged_amount),
            Value::Text(if i.is_open { "open" } else { "closed" }.into()),
            text(&i.reason),
        ]);
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

async fn runs(store: &Store, limit: i64, format: Format, errors: bool) -> anyhow::Result<ExitCode> {
    let columns = [
        "run_id",
        "run_date",
        "company_id",
        "credit_class",
        "source",
        "run_by",
        "started_at",
        "created",
        "closed",
        "errors",
    ];
    let runs = store.generate_runs(limit.max(1)).await?;
    let mut out = Printer::new(&columns, &[], format)?;
    for r in &runs {
        out.push(&[
            Value::Int(r.run_id),
            Value::Date(r.run_date),
            r.company_id.clone().map_or(Value::None, Value::Text),
            r.credit_class.clone().map_or(Value::None, Value::Text),
            Value::Text(r.source.clone()),
            Value::Text(r.run_by.clone()),
            Value::Text(r.started_at.format("%Y-%m-%d %H:%M:%S").to_string()),
            Value::Int(r.created),
            Value::Int(r.closed),
            Value::Int(r.errors.len() as i64),
        ]);
    }
    out.finish()?;
    if errors {
        for r in &runs {
            for e in &r.errors {
                println!("run {}: {e}", r.run_id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `arrears run-schedules`: the credit class schedules due now.
#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// The moment to run as of, `YYYY-MM-DD HH:MM` (default: now, local time).
    #[arg(long, value_parser = parse_moment)]
    now: Option<chrono::NaiveDateTime>,
    /// Who runs them, for the log (default: $USER).
    #[arg(long)]
    user: Option<String>,
}

fn parse_moment(text: &str) -> Result<chrono::NaiveDateTime, String> {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
        .map_err(|_| format!("not a moment {text:?}, expected YYYY-MM-DD HH:MM"))
}

pub async fn run_schedules(store: &Store, args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let now = args
        .now
        .unwrap_or_else(|| chrono::Local::now().naive_local());
    let user = args.user.unwrap_or_else(crate::import::current_user);
    let runs = arrears_actions::run_schedules(store, now, &user).await?;
    if runs.is_empty() {
        println!("no schedule due at {}", now.format("%Y-%m-%d %H:%M"));
    }
    for r in &runs {
        println!(
            "schedule {} {} {}: {} created, {} closed, {} error(s) (run {})",
            r.company_id,
            r.credit_class,
            r.run_date,
            r.created,
            r.closed,
            r.errors.len(),
            r.run_id.unwrap_or_default()
        );
        for e in &r.errors {
            eprintln!("arrears: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
