//! `arrears serve`: the web application and the JSON API.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use arrears_store::Store;
use arrears_web::{AppState, Config};

use crate::AsOf;

#[derive(clap::Args)]
pub struct Args {
    /// Address and port to listen on (port 0 picks a free one) [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// A TOML file of server settings; `ARREARS_*` variables override it.
    #[arg(long, env = "ARREARS_CONFIG")]
    config: Option<PathBuf>,
    /// Compute the figures as of this business date instead of today.
    #[command(flatten)]
    as_of: AsOf,
}

pub async fn run(store: Store, args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref(), |name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(day) = args.as_of.given() {
        config.as_of = Some(day);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let state = AppState::new(store.clone(), config);
    arrears_web::serve(
        state,
        |address| {
            println!("arrears: listening on http://{address}");
            let _ = std::io::stdout().flush();
        },
        shutdown(),
    )
    .await?;
    eprintln!("arrears: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM: the server then finishes the requests in flight.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
