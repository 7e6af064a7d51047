//! `arrears-bench`: generates books up to 10M invoices and times the hot paths of the real
//! `arrears` binary on SQLite and PostgreSQL: a fresh import, a re-sync with 5% changed,
//! and the aging. Prints a Markdown table for `docs/benchmarks.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;

mod web;

#[derive(Parser)]
#[command(about = "Times import, re-sync and aging on generated books")]
struct Args {
    /// Book sizes in invoices: 10k, 100k, 1m, 10m (about ten invoices per customer).
    #[arg(long, value_delimiter = ',', default_value = "10k,100k")]
    sizes: Vec<String>,
    /// Stores to measure.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// PostgreSQL server to create the benchmark database on.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    /// Where generated books and SQLite files go.
    #[arg(long, default_value = "bench-out")]
    out: PathBuf,
    /// The business date of the books.
    #[arg(long, default_value = "2026-11-23")]
    as_of: String,
    /// Also serve each store and time My Accounts and the dashboard for signed-in users.
    #[arg(long)]
    web: bool,
    /// Signed-in users asking for pages at once.
    #[arg(long, default_value_t = 20)]
    web_users: usize,
    /// Pages of each kind each user asks for.
    #[arg(long, default_value_t = 10)]
    web_rounds: usize,
    /// Milliseconds a user reads a page before asking for the next.
    #[arg(long, default_value_t = 1000)]
    think_ms: u64,
    /// Only the web step, on this store (one the benchmark filled before).
    #[arg(long)]
    web_db: Option<String>,
}

/// One measured run of `arrears`.
struct Run {
    wall: Duration,
    peak_kib: i64,
    /// What it printed on standard error (summaries, `--timings`).
    stderr: String,
}

/// The 21 filters the generate benchmark adds to the starter ladder's nine: high rungs that
/// rarely match, over figures, texts and open items alike.
const EXTRA_RULES: [(&str, &str); 21] = [
    ("customer", "total_past_due > 250000 && over_90 > 0"),
    ("customer", "available_credit < -50000"),
    ("customer", "dso > 400 && total_age > 100000"),
    ("customer", "avg_days_late > 90 && no_over_due_inv >= 5"),
    (
        "customer",
        "credit_hold && total_past_due > 0 && over_120 > 50000",
    ),
    (
        "customer",
        "customer_class in [\"GOVT\", \"NONPROFIT\"] && over_120 > 100000",
    ),
    ("customer", "coc_balance > 5000"),
    (
        "customer",
        "proj_pmts_35 > 200000 && avg_days_to_pay_total > 120",
    ),
    (
        "customer",
        "total_age > 150000 && over_60 / total_age > 0.95",
    ),
    ("customer", "name.startsWith(\"Zz\") && total_age > 0"),
    ("customer", "currency != \"USD\" && total_past_due > 200000"),
    (
        "customer",
        "oldest_tran_date_days > 900 && over_120 > 80000",
    ),
    ("customer", "avg_days_late_weighted - avg_days_late > 60"),
    ("customer", "due_age_5 > 300000"),
    ("customer", "age_4 > 300000 && age_future == 0"),
    ("customer", "net_credit_sales > 2000000 && dso > 200"),
    ("invoice", "due_date_days > 700 && balance_hc > 20000"),
    (
        "invoice",
        "tran_type == \"FC\" && balance > 5000 && due_date_days > 90",
    ),
    (
        "invoice",
        "percent_paid > 0.9 && balance_hc > 10000 && due_date_days > 60",
    ),
    (
        "invoice",
        "tran_type == \"DM\" && due_date_days >= 365 && balance_hc > 15000",
    ),
    ("invoice", "amount_hc > 50000 && due_date_days > 400"),
];

/// A sync folder with the extra rules for every company of the demo book.
fn extra_rules(out: &Path) -> anyhow::Result<PathBuf> {
    let dir = out.join("extra-rules");
    fs::create_dir_all(&dir)?;
    let mut w = csv::Writer::from_path(dir.join("rules.csv"))?;
    w.write_record([
        "company_id",
        "credit_class",
        "seq_no",
        "action_code",
        "view",
        "filter",
    ])?;
    for company in ["US01", "CA01", "EU01"] {
        for (n, (view, filter)) in EXTRA_RULES.iter().enumerate() {
            let seq = (101 + n).to_string();
            w.write_record([company, "STANDARD", &seq, "REVIEW", view, filter])?;
        }
    }
    w.flush()?;
    Ok(dir)
}

/// One generate measurement.
struct Generated {
    invoices: u64,
    customers: usize,
    backend: String,
    preview: Run,
    generate: Run,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let arrears = std::env::current_exe()?.with_file_name("arrears");
    ensure!(
        arrears.exists(),
        "{} not found: build it first with cargo build --release",
        arrears.display()
    );
    let as_of = arrears_domain_date(&args.as_of)?;
    fs::create_dir_all(&args.out)?;
    if let Some(db) = &args.web_db {
        let load = web::Load {
            users: args.web_users,
            rounds: args.web_rounds,
            think: Duration::from_millis(args.think_ms),
        };
        let measured = web::measure(&arrears, db, &args.as_of, &load)?;
        let backend = if db.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        };
        print_served(&[("-".into(), "-".into(), backend.into(), measured)]);
        return Ok(());
    }
    println!(
        "| invoices | store | import | rows/s | peak | re-sync 5% | peak | aging | invoices/s | peak | customer report | peak |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rules = extra_rules(&args.out)?;
    let mut generated = Vec::new();
    let mut served: Vec<(String, String, String, web::Served)> = Vec::new();
    for size in &args.sizes {
        let invoices = parse_size(size)?;
        let customers = (invoices / 10).max(1);
        let base = book(&args.out, customers, as_of, 0)?;
        let changed = book(&args.out, customers, as_of, 50)?;
        let rows = count_rows(&base)?;
        let items = count_lines(&base.join("invoices.csv"))?;
        for backend in &args.backends {
            let db = fresh_store(backend, &args, customers)?;
            let path = |p: &Path| p.to_string_lossy().into_owned();
            let import = run(
                &arrears,
                &db,
                &["import", &path(&base), "--quiet", "--as-of", &args.as_of],
            )?;
            let resync = run(
                &arrears,
                &db,
                &["import", &path(&changed), "--quiet", "--as-of", &args.as_of],
            )?;
            let aging = run(
                &arrears,
                &db,
                &["aging", "--by", "company", "--as-of", &args.as_of],
            )?;
            let report = run(
                &arrears,
                &db,
                &["aging", "--format", "csv", "--as-of", &args.as_of],
            )?;
            run(
                &arrears,
                &db,
                &["setup", "defaults", "--as-of", &args.as_of],
            )?;
            run(
                &arrears,
                &db,
                &["import", &path(&rules), "--quiet", "--as-of", &args.as_of],
            )?;
            let generate = [
                "actions",
                "generate",
                "--timings",
                "--format",
                "csv",
                "--as-of",
            ];
            let mut previewed = generate.to_vec();
            previewed.extend([args.as_of.as_str(), "--preview"]);
            let preview = run(&arrears, &db, &previewed)?;
            let mut made = generate.to_vec();
            made.push(&args.as_of);
            let generate = run(&arrears, &db, &made)?;
            if args.web {
                let load = web::Load {
                    users: args.web_users,
                    rounds: args.web_rounds,
                    think: Duration::from_millis(args.think_ms),
                };
                let measured = web::measure(&arrears, &db, &args.as_of, &load)?;
                served.push((
                    items.to_string(),
                    customers.to_string(),
                    backend.clone(),
                    measured,
                ));
            }
            generated.push(Generated {
                invoices: items,
                customers,
                backend: backend.clone(),
                preview,
                generate,
            });
            println!(
                "| {items} | {backend} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                seconds(&import),
                per_second(rows, import.wall),
                mib(&import),
                seconds(&resync),
                mib(&resync),
                seconds(&aging),
                per_second(items, aging.wall),
                mib(&aging),
                seconds(&report),
                mib(&report),
            );
        }
    }
    println!();
    println!(
        "| invoices | customers | store | filters | filter runs | preview | evaluate | generate | created | write | peak |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for g in &generated {
        let timing = |run: &Run, key: &str| timing(&run.stderr, key);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            g.invoices,
            g.customers,
            g.backend,
            timing(&g.preview, "filters"),
            timing(&g.preview, "runs"),
            seconds(&g.preview),
            timing(&g.preview, "evaluate"),
            seconds(&g.generate),
            timing(&g.generate, "created"),
            timing(&g.generate, "write"),
            mib(&g.generate),
        );
    }
    if args.web {
        print_served(&served);
    }
    Ok(())
}

/// The web step's table.
fn print_served(served: &[(String, String, String, web::Served)]) {
    println!();
    println!(
        "| invoices | customers | store | first My Accounts (snapshot) | My Accounts after a call (patch) | server peak | page | requests | median | p95 | max |"
    );
    println!("|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|");
    for (invoices, customers, backend, s) in served {
        for p in &s.pages {
            println!(
                "| {invoices} | {customers} | {backend} | {:.1} s | {:.0} ms | {} MiB | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms |",
                s.cold.as_secs_f64(),
                s.after_work.as_secs_f64() * 1000.0,
                s.peak_mib,
                p.page,
                p.requests,
                p.median,
                p.p95,
                p.max
            );
        }
    }
}

/// A figure from `arrears actions generate --timings`: the word before `key` (a count) or
/// the seconds after it.
fn timing(stderr: &str, key: &str) -> String {
    let words: Vec<&str> = stderr
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let Some(at) = words.iter().position(|w| *w == key) else {
        return "?".into();
    };
    match key {
        "runs" | "created" => words
            .get(at.wrapping_sub(1))
            .map_or("?".into(), |w| (*w).to_owned()),
        _ => words.get(at + 1).map_or("?".into(), |w| format!("{w} s")),
    }
}

fn arrears_domain_date(text: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("--as-of {text:?}"))
}

fn parse_size(text: &str) -> anyhow::Result<usize> {
    let lower = text.to_ascii_lowercase();
    let (digits, factor) = match lower.as_bytes().last() {
        Some(b'k') => (&lower[..lower.len() - 1], 1_000),
        Some(b'm') => (&lower[..lower.len() - 1], 1_000_000),
        _ => (lower.as_str(), 1),
    };
    let n: usize = digits
        .parse()
        .with_context(|| format!("not a size {text:?}"))?;
    Ok(n * factor)
}

fn seconds(run: &Run) -> String {
    format!("{:.2} s", run.wall.as_secs_f64())
}

fn mib(run: &Run) -> String {
    format!("{} MiB", run.peak_kib / 1024)
}

fn per_second(count: u64, wall: Duration) -> String {
    let rate = count as f64 / wall.as_secs_f64().max(1e-9);
    format!("{:.0}", rate)
}

/// The book of `customers` customers, generated once and kept under `out`.
fn book(
    out: &Path,
    customers: usize,
    as_of: chrono::NaiveDate,
    changed_per_mille: u32,
) -> anyhow::Result<PathBuf> {
    let dir = out.join(format!("book-{customers}-{as_of}-{changed_per_mille}"));
    if dir.join("done").exists() {
        return Ok(dir);
    }
    let started = Instant::now();
    let options = arrears_demo::Options {
        customers,
        seed: 1,
        as_of,
        changed_per_mille,
    };
    arrears_demo::write_book(&dir, &options)
        .with_context(|| format!("writing {}", dir.display()))?;
    fs::write(dir.join("done"), "")?;
    eprintln!(
        "generated {} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

fn count_lines(file: &Path) -> anyhow::Result<u64> {
    let bytes = fs::read(file)?;
    Ok(bytes
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1) as u64)
}

fn count_rows(dir: &Path) -> anyhow::Result<u64> {
    let mut rows = 0;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            rows += count_lines(&path)?;
        }
    }
    Ok(rows)
}

/// An empty store of `backend` for this size.
fn fresh_store(backend: &str, args: &Args, customers: usize) -> anyhow::Result<String> {
    match backend {
        "sqlite" => {
            let file = args.out.join(format!("bench-{customers}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", file.display()));
            }
            Ok(format!("sqlite://{}", file.display()))
        }
        "postgres" => {
            let name = "arrears_bench";
            let admin = format!("{}/postgres", args.pg);
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                let status = Command::new("psql")
                    .args([admin.as_str(), "-qc", &sql])
                    .status()
                    .context("psql")?;
                ensure!(status.success(), "psql failed: {sql}");
            }
            Ok(format!("{}/{name}", args.pg))
        }
        other => bail!("unknown backend {other:?}: sqlite or postgres"),
    }
}

/// Runs `arrears` with `args` on `db`, timing it and reading its peak resident memory.
fn run(arrears: &Path, db: &str, args: &[&str]) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut child = Command::new(arrears)
        .args(args)
        .env("ARREARS_DB", db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running arrears {args:?}"))?;
    let pid = child.id() as libc::pid_t;
    // Read standard error while the child runs, so a full pipe never stalls it.
    let reader = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
            text
        })
    });
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unwaited child; status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let stderr = reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    ensure!(waited == pid, "wait4 failed for arrears {args:?}");
    ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "arrears {args:?} failed: {stderr}"
    );
    Ok(Run {
        wall,
        peak_kib: usage.ru_maxrss,
        stderr,
    })
}
