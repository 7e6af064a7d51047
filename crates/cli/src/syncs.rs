//! `arrears syncs`: the record of every sync.

use std::process::ExitCode;

use arrears_domain::Value;
use arrears_store::Store;

use crate::output::{Format, Printer};

#[derive(clap::Args)]
pub struct Args {
    /// How many syncs to list.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also print the problems of failed syncs.
    #[arg(long)]
    problems: bool,
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    let syncs = store.syncs(args.limit.max(1)).await?;
    let columns = [
        "sync_id",
        "started_at",
        "sync_date",
        "status",
        "run_by",
        "source",
        "file",
        "rows",
        "inserted",
        "updated",
        "unchanged",
        "problems",
    ];
    let mut out = Printer::new(&columns, &[], args.format)?;
    for s in &syncs {
        let head = |file: Value, counts: [Value; 4]| {
            let [rows, inserted, updated, unchanged] = counts;
            vec![
                Value::Int(s.sync_id),
                Value::Text(s.started_at.format("%Y-%m-%d %H:%M:%S").to_string()),
                Value::Date(s.sync_date),
                Value::Text(s.status.as_str().into()),
                Value::Text(s.run_by.clone()),
                Value::Text(s.source.clone()),
                file,
                rows,
                inserted,
                updated,
                unchanged,
                Value::Int(s.problems.len() as i64),
            ]
        };
        if s.files.is_empty() {
            out.push(&head(
                Value::None,
                [Value::None, Value::None, Value::None, Value::None],
            ));
        }
        for f in &s.files {
            let n = |v: i64| Value::Int(v);
            out.push(&head(
                Value::Text(f.file.clone()),
                [n(f.rows), n(f.inserted), n(f.updated), n(f.unchanged)],
            ));
        }
    }
    out.finish()?;
    if args.problems {
        for s in syncs.iter().filter(|s| !s.problems.is_empty()) {
            for p in &s.problems {
                println!("sync {}: {p}", s.sync_id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
