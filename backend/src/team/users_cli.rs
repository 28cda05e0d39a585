//! `kalshi-desk user add|list`: manage users straight in the desk's database (the way to
//! create the first admin without the bootstrap token, or in scripts); `kalshi-desk audit
//! verify`: check the audit log's hash chain.

use std::io::BufRead as _;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use shared::auth::UserLimits;

use crate::config::{AuditArgs, AuditCommand, UserArgs, UserCommand};
use crate::team::store::Store;

/// Environment variable the password is read from before stdin.
pub const PASSWORD_ENV: &str = "DESK_USER_PASSWORD";

/// Runs one `user` subcommand; prints what it did on stdout (never the password).
///
/// # Errors
/// The database cannot be opened, the name or password is refused, the name is taken.
pub async fn run(args: UserArgs) -> anyhow::Result<()> {
    let store = Store::connect(args.db_url.expose_secret())
        .await
        .context("opening the desk database")?;
    match args.command {
        UserCommand::Add { username, role } => {
            let password = read_password()?;
            let user = crate::team::auth::add_user(
                &store,
                &username,
                password,
                role,
                &UserLimits::default(),
            )
            .await
            .with_context(|| format!("adding {username}"))?;
            println!("added user {} with role {}", user.username, user.role);
        }
        UserCommand::List => {
            for u in store.users().await? {
                let state = if u.disabled { " (disabled)" } else { "" };
                println!("{}\t{}{state}", u.username, u.role);
            }
        }
    }
    store.close().await;
    Ok(())
}

/// Runs one `audit` subcommand. `verify` prints what it checked, or the first break.
///
/// # Errors
/// The database cannot be opened or read; the chain is broken (the message names the
/// first record that does not fit).
pub async fn audit(args: AuditArgs) -> anyhow::Result<()> {
    let store = Store::connect(args.db_url.expose_secret())
        .await
        .context("opening the desk database")?;
    let verdict = match args.command {
        AuditCommand::Verify => store
            .audit_verify()
            .await
            .context("reading the audit log")?,
    };
    store.close().await;
    match verdict.first_break {
        None => {
            println!(
                "audit chain intact: {} records verified ({} from before the chain)",
                verdict.records, verdict.legacy
            );
            Ok(())
        }
        Some(b) => anyhow::bail!(
            "audit chain broken at record {}: {} ({} records verified before it)",
            b.id,
            b.reason,
            verdict.records
        ),
    }
}

/// The password from [`PASSWORD_ENV`], else the first line of stdin.
fn read_password() -> anyhow::Result<SecretString> {
    if let Some(p) = std::env::var_os(PASSWORD_ENV) {
        return Ok(SecretString::from(p.to_string_lossy().into_owned()));
    }
    eprintln!("password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}
