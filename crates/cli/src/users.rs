//! `arrears user` and `arrears token`: the first admin, passwords, disabling, API tokens.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use arrears_domain::Role;
use arrears_store::{Actor, Store, UserRow};

use crate::import::current_user;
use arrears_web::{TOKEN_PREFIX, digest, hash_password, new_secret, password_problem};
use chrono::Utc;

#[derive(clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// admin, manager, collector or inquiry.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        /// The manager whose team the user joins.
        #[arg(long)]
        manager: Option<String>,
    },
    /// Set a user's password (asked for twice, or read from standard input).
    SetPassword {
        id: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sign the user out everywhere and refuse new sign-ins.
    Disable { id: String },
    /// Let a disabled user sign in again.
    Enable { id: String },
    /// List the users with their roles and sign-in state.
    List,
    /// The latest sign-ins and failed sign-ins, newest first.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Print a new API token for the user, once.
    Create {
        id: String,
        /// A label to recognise the token by.
        #[arg(long)]
        name: Option<String>,
    },
    /// Stop a token working, at once.
    Revoke { token_id: i64 },
    /// List tokens (never their secrets).
    List {
        #[arg(long)]
        user: Option<String>,
    },
}

/// Who runs the command, now, on the calendar's date: as the event log records them.
fn actor(user_id: &str) -> Actor<'_> {
    Actor {
        user_id,
        at: chrono::Utc::now(),
        business_date: chrono::Local::now().date_naive(),
    }
}

pub async fn user(store: &Store, args: UserArgs) -> anyhow::Result<ExitCode> {
    let operator = current_user();
    match args.command {
        UserCommand::Add {
            id,
            name,
            role,
            email,
            manager,
        } => add(store, id, name, &role, email, manager).await,
        UserCommand::SetPassword { id, password_stdin } => {
            must_exist(store, &id).await?;
            let password = if password_stdin {
                read_stdin()?
            } else {
                ask_twice()?
            };
            if let Some(problem) = password_problem(&password) {
                bail!("{problem}");
            }
            store
                .set_password_hash(&id, &hash_password(&password)?, actor(&operator))
                .await?;
            println!("password set for {id}");
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Disable { id } => {
            must_exist(store, &id).await?;
            store.set_disabled(&id, true, actor(&operator)).await?;
            println!("{id} is disabled and signed out everywhere");
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Enable { id } => {
            must_exist(store, &id).await?;
            store.set_disabled(&id, false, actor(&operator)).await?;
            println!("{id} may sign in again");
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Log { limit } => {
            for s in store.sign_ins(limit).await? {
                println!(
                    "{} {:<16} {:<6} {:<28} {}",
                    s.at.format("%Y-%m-%d %H:%M:%S"),
                    s.user_id,
                    if s.ok { "ok" } else { "failed" },
                    s.outcome,
                    s.client.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List => {
            println!(
                "{:<16} {:<10} {:<16} {:<8} name",
                "user_id", "role", "manager", "state"
            );
            for a in store.accounts().await? {
                let state = match (a.active, a.disabled, a.password_hash.is_some()) {
                    (false, ..) => "inactive",
                    (_, true, _) => "disabled",
                    (_, _, false) => "no pw",
                    _ => "ok",
                };
                println!(
                    "{:<16} {:<10} {:<16} {:<8} {}",
                    a.user_id,
                    a.role,
                    a.manager.as_deref().unwrap_or("-"),
                    state,
                    a.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn add(
    store: &Store,
    id: String,
    name: String,
    role: &str,
    email: Option<String>,
    manager: Option<String>,
) -> anyhow::Result<ExitCode> {
    let role: Role = role.parse().context("--role")?;
    if id.trim().is_empty() || id.trim() != id {
        bail!("user id {id:?}: must be non-empty, without spaces around it");
    }
    if let Some(m) = &manager {
        must_exist(store, m).await.context("--manager")?;
    }
    let row = UserRow {
        user_id: id.clone(),
        name,
        email,
        role: role.as_str().to_owned(),
        manager,
        active: true,
    };
    if !store.add_user(&row, actor(&current_user())).await? {
        bail!("there is already a user {id:?}");
    }
    println!("added {id} ({role}); set a password with: arrears user set-password {id}");
    Ok(ExitCode::SUCCESS)
}

async fn must_exist(store: &Store, id: &str) -> anyhow::Result<()> {
    match store.account(id).await? {
        Some(_) => Ok(()),
        None => bail!("no user {id:?} in the store"),
    }
}

/// The first line of standard input, without its line ending.
fn read_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn ask_twice() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password; use --password-stdin");
    }
    let first = rpassword::prompt_password("New password: ")?;
    let second = rpassword::prompt_password("Again: ")?;
    if first != second {
        bail!("the two passwords differ; nothing changed");
    }
    Ok(first)
}

pub async fn token(store: &Store, args: TokenArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TokenCommand::Create { id, name } => {
            must_exist(store, &id).await?;
            let secret = format!("{TOKEN_PREFIX}{}", new_secret());
            let token_id = store
                .create_token(&id, name.as_deref(), &digest(&secret), Utc::now())
                .await?;
            println!("{secret}");
            eprintln!(
                "arrears: token {token_id} for {id}; it is shown only now (revoke with: arrears token revoke {token_id})"
            );
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { token_id } => {
            if !store.revoke_token(token_id, Utc::now()).await? {
                bail!("no live token {token_id}");
            }
            println!("token {token_id} revoked");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { user } => {
            println!(
                "{:>6} {:<16} {:<20} {:<10} state",
                "id", "user_id", "name", "created"
            );
            for t in store.tokens(user.as_deref()).await? {
                println!(
                    "{:>6} {:<16} {:<20} {:<10} {}",
                    t.token_id,
                    t.user_id,
                    t.name.as_deref().unwrap_or("-"),
                    t.created_at.date_naive(),
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
