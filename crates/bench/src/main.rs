//! `arrears-bench`: generates books up to 10M invoices and times the hot paths of the real
//! `arrears` binary on SQLite and PostgreSQL: a fresh import, a re-sync with 5% changed,
//! and the aging. Prints a Markdown table for `docs/benchmarks.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;

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
}

/// One measured run of `arrears`.
struct Run {
    wall: Duration,
    peak_kib: i64,
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
    println!(
        "| invoices | store | import | rows/s | peak | re-sync 5% | peak | aging | invoices/s | peak | customer report | peak |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
    Ok(())
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
    let child = Command::new(arrears)
        .args(args)
        .env("ARREARS_DB", db)
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("running arrears {args:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unwaited child; status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    ensure!(waited == pid, "wait4 failed for arrears {args:?}");
    ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "arrears {args:?} failed"
    );
    Ok(Run {
        wall,
        peak_kib: usage.ru_maxrss,
    })
}
