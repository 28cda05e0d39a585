//! `kalshi-desk`: see `kalshi-desk --help`.

use anyhow::Context as _;
use clap::Parser as _;
use desk_backend::config::{Cli, Command};
use desk_backend::Application;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let app = Application::build(config)
                .await
                .context("starting the desk")?;
            let banner = match app.sim_port() {
                Some(_) => " on the BUILT-IN SIMULATED EXCHANGE (paper trading)",
                None => "",
            };
            println!(
                "Kalshi Desk is running{banner}: http://127.0.0.1:{}/",
                app.port()
            );
            if let Some(link) = app.login_link() {
                // Printed, not logged: the token is for the person starting the desk.
                println!(
                    "No users yet. Open this link to create the first admin (the token works \
                     once):\n\n    {link}\n\n(or run: kalshi-desk user add --username NAME --role admin)"
                );
            }
            app.run_until_stopped().await
        }
        Command::User(args) => desk_backend::team::users_cli::run(args).await,
        Command::Audit(args) => desk_backend::team::users_cli::audit(args).await,
        Command::Precompress(args) => {
            let written = desk_backend::http::frontend::precompress(&args.dist)
                .with_context(|| format!("precompressing {}", args.dist.display()))?;
            println!(
                "precompressed {} files in {}",
                written.len(),
                args.dist.display()
            );
            Ok(())
        }
        Command::Sim(args) => {
            kalshi_sim::run_standalone(kalshi_sim::Standalone {
                listen: args.listen,
                port: args.port,
                keys: args.keys,
                flow_per_sec: args.flow,
                seed: args.seed,
                fault_admin_port: args.fault_admin_port,
                usage_tier: args.usage_tier,
                markets: args.markets,
            })
            .await
        }
    }
}
