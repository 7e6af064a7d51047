//! `arrears demo`: a realistic synthetic book, imported through the ordinary sync.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arrears_import::Options;
use arrears_store::Store;

use crate::AsOf;
use crate::import::counts;

#[derive(clap::Args)]
pub struct Args {
    /// How many customers (about ten invoices each).
    #[arg(long, default_value_t = 1000)]
    customers: usize,
    /// The random seed: the same seed gives the same book.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keep the sync files in this folder.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    #[command(flatten)]
    as_of: AsOf,
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.customers > 0, "--customers must be at least 1");
    let scratch;
    let dir = match &args.export {
        Some(dir) => dir.clone(),
        None => {
            scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
            scratch.path().to_owned()
        }
    };
    let options = arrears_demo::Options {
        customers: args.customers,
        seed: args.seed,
        as_of: args.as_of.date(),
        changed_per_mille: 0,
    };
    let made = arrears_demo::write_book(&dir, &options)
        .with_context(|| format!("cannot write the demo book to {}", dir.display()))?;
    let settings = store.settings().await?;
    let actor = arrears_store::Actor {
        user_id: "demo",
        at: chrono::Utc::now(),
        business_date: options.as_of,
    };
    if settings.get("size_ranges")?.is_empty() {
        store
            .set_setting("size_ranges", "1000,5000,10000", actor)
            .await??;
    }
    if settings.get("score_ranges")?.is_empty() {
        store
            .set_setting(
                "score_ranges",
                "Low risk=700..:green; Watch=600..699:amber; High risk=..599:red",
                actor,
            )
            .await??;
        store
            .set_setting("credit_bureaus", "Experian", actor)
            .await??;
    }
    let sync = Options {
        sync_date: options.as_of,
        run_by: "demo".into(),
        progress: std::io::stderr().is_terminal(),
        source: None,
    };
    let report = arrears_import::sync(store, &dir, sync).await?;
    let files: Vec<String> = report.files.iter().map(counts).collect();
    println!(
        "demo book for {}: {} companies, {} customers, {} invoices and credit memos, {} payments; sync {}: {}",
        options.as_of,
        made.companies,
        made.customers,
        made.invoices,
        made.payments,
        report.sync_id,
        files.join("; ")
    );
    let setup_dir = args.export.as_ref().map(|d| d.join("setup"));
    let line =
        crate::setup::install(store, None, setup_dir.as_deref(), options.as_of, "demo").await?;
    println!("{line}");
    let generated = arrears_actions::generate(
        store,
        &arrears_actions::Options {
            as_of: options.as_of,
            company: None,
            credit_class: None,
            preview: false,
            run_by: "demo".into(),
            source: "manual".into(),
        },
    )
    .await?;
    println!(
        "actions generated for {}: {} issues opened (run {})",
        options.as_of,
        generated.changes.len(),
        generated.run_id.unwrap_or_default()
    );
    let signed = demo_passwords(store).await?;
    if !signed.is_empty() {
        println!(
            "sign-in: {} with password {DEMO_PASSWORD:?} (a demo store only)",
            signed.join(", ")
        );
    }
    if let Some(dir) = &args.export {
        println!("sync files kept in {}", dir.display());
    }
    println!(
        "next: arrears serve (http://127.0.0.1:8080), arrears aging, arrears actions list --open"
    );
    Ok(ExitCode::SUCCESS)
}

/// The password the demo gives its users, so that `arrears serve` can be tried at once.
pub const DEMO_PASSWORD: &str = "arrears-demo";

/// Gives every user without a password the demo password; their ids.
async fn demo_passwords(store: &Store) -> anyhow::Result<Vec<String>> {
    let mut signed = Vec::new();
    for account in store.accounts().await? {
        if account.password_hash.is_none() {
            let hash = arrears_web::hash_password(DEMO_PASSWORD)?;
            let actor = arrears_store::Actor {
                user_id: "demo",
                at: chrono::Utc::now(),
                business_date: chrono::Local::now().date_naive(),
            };
            store
                .set_password_hash(&account.user_id, &hash, actor)
                .await?;
            signed.push(account.user_id);
        }
    }
    Ok(signed)
}
