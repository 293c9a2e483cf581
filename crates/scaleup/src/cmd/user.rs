//! `scaleup user`: create accounts and reset passwords from the command line (operator access).

use super::config::{DbArgs, block_on};
use anyhow::{Context, bail};
use scaleup_domain::role::Role;
use scaleup_storage::NewUser;

/// Arguments for `scaleup user`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from SCALEUP_PASSWORD or standard input, never from an argument.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// admin, hub_manager, supervisor, counsellor, researcher or viewer.
        #[arg(long)]
        role: String,
        /// Hub code (required for every role but admin).
        #[arg(long)]
        hub: Option<String>,
        /// Username of the supervisor (for counsellors).
        #[arg(long)]
        supervisor: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Language of the pages and notifications: en, fr, pt, es, sw or hi.
        #[arg(long)]
        language: Option<String>,
        /// Where notifications reach the user, e.g. tel:+254700000000 or whatsapp:+254700000000.
        #[arg(long)]
        notify_address: Option<String>,
    },
    /// Set a new password for an account and end its sessions (admin reset).
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
    /// Grant an account read access to another hub (e.g. a researcher in a network analysis).
    Grant {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// Hub code.
        #[arg(long)]
        hub: String,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("SCALEUP_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        bail!("no password given: set SCALEUP_PASSWORD or write it to standard input");
    }
    Ok(p)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add {
            db,
            username,
            role,
            hub,
            supervisor,
            display_name,
            language,
            notify_address,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "--role: unknown role (use one of {})",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                )
            })?;
            let password = read_password()?;
            block_on(async move {
                let store = db.open(true).await?;
                let hub_id = match &hub {
                    Some(code) => Some(
                        store
                            .hubs(None)
                            .await?
                            .into_iter()
                            .find(|h| &h.code == code)
                            .map(|h| h.id)
                            .with_context(|| "--hub: no hub with that code")?,
                    ),
                    None => None,
                };
                let supervisor_id = match &supervisor {
                    Some(u) => Some(
                        store
                            .user_by_username(u)
                            .await?
                            .map(|u| u.id)
                            .with_context(|| "--supervisor: no such user")?,
                    ),
                    None => None,
                };
                let user = store
                    .create_user(
                        None,
                        NewUser {
                            display_name: display_name.unwrap_or_else(|| username.clone()),
                            username,
                            password,
                            role,
                            hub_id,
                            supervisor_id,
                            site_ids: vec![],
                            language,
                            notify_address,
                        },
                    )
                    .await?;
                println!(
                    "created {} ({}) id {}",
                    user.username,
                    user.role.as_str(),
                    user.id
                );
                store.close().await;
                Ok(())
            })
        }
        UserCommand::ResetPassword { db, username } => {
            let password = read_password()?;
            block_on(async move {
                let store = db.open(false).await?;
                let user = store
                    .user_by_username(&username)
                    .await?
                    .context("no such user")?;
                store.set_password(None, &user.id, &password).await?;
                println!(
                    "password reset for {}; their sessions were ended",
                    user.username
                );
                store.close().await;
                Ok(())
            })
        }
        UserCommand::Grant { db, username, hub } => block_on(async move {
            let store = db.open(false).await?;
            let user = store
                .user_by_username(&username)
                .await?
                .context("--username: no such user")?;
            let hub_id = store
                .hubs(None)
                .await?
                .into_iter()
                .find(|h| h.code == hub)
                .map(|h| h.id)
                .context("--hub: no hub with that code")?;
            store.grant_hub(None, &user.id, &hub_id).await?;
            println!("{} may now read hub {}", user.username, hub);
            store.close().await;
            Ok(())
        }),
        UserCommand::List { db } => block_on(async move {
            let store = db.open(false).await?;
            let admin = scaleup_storage::Actor {
                user_id: String::new(),
                role: Role::Admin,
                hubs: vec![],
            };
            for u in store.list_users(&admin).await? {
                println!(
                    "{:<24} {:<12} {}",
                    u.username,
                    u.role.as_str(),
                    if u.active { "active" } else { "inactive" }
                );
            }
            store.close().await;
            Ok(())
        }),
    }
}
