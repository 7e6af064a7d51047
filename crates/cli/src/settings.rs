//! `arrears settings get|set`: the site settings.

use std::process::ExitCode;

use arrears_domain::Settings;
use arrears_store::Store;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print one setting, or every setting as `key = value`.
    Get { key: Option<String> },
    /// Change a setting; an empty value restores its default.
    Set { key: String, value: String },
}

pub async fn run(store: &Store, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Get { key: Some(key) } => {
            println!("{}", store.settings().await?.get(&key)?);
        }
        Action::Get { key: None } => {
            let settings = store.settings().await?;
            for key in Settings::KEYS {
                println!("{key} = {}", settings.get(key)?);
            }
        }
        Action::Set { key, value } => {
            let user = crate::import::current_user();
            let actor = arrears_store::Actor {
                user_id: &user,
                at: chrono::Utc::now(),
                business_date: chrono::Local::now().date_naive(),
            };
            store.set_setting(&key, &value, actor).await??;
            println!("{key} = {}", store.settings().await?.get(&key)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
