//! `wecom-desk`: serve, demo, simulate, doctor.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use desk_server::config::Settings;
use desk_server::startup::Application;
use desk_server::{demo, doctor, telemetry};
use desk_simulator::{Fixture, SimulatorServer};

// The signature endpoint allocates a few small strings per request; mimalloc is
// measurably cheaper than glibc's malloc there (see scripts/bench.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wecom-desk",
    version = desk_server::version::LONG,
    about = "WeCom Desk: customer groups that belong to the company"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Production server: H5 files, JSON API, WeCom callback.
    Serve {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Everything on one machine with no WeCom account: simulator, server, H5.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Serve the H5 from this directory; without it, the one built into the
        /// binary (`make release`), else `dist`.
        #[arg(long)]
        static_dir: Option<String>,
        #[arg(long, default_value = "sqlite://data/demo.db")]
        database: String,
    },
    /// The WeCom simulator alone.
    Simulate {
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: String,
        /// A corp described in TOML (docs/simulator.md); the demo corp without it.
        #[arg(long, value_name = "FILE")]
        fixture: Option<PathBuf>,
    },
    /// Checks a deployment: credentials, tickets, permissions, callback settings.
    Doctor {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // doctor prints its own checklist; its retries need not show as warnings.
    telemetry::init(match cli.command {
        Command::Doctor { .. } => "error",
        _ => "info,sqlx=warn,actix_server=warn",
    });
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { config } => {
            let settings = Settings::load(Some(&config))
                .with_context(|| format!("cannot read settings from {}", config.display()))?;
            tracing::info!(version = desk_server::version::LONG, ?settings, "starting");
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await?;
        }
        Command::Demo {
            listen,
            static_dir,
            database,
        } => demo::run(listen, static_dir.as_deref(), &database).await?,
        Command::Simulate { listen, fixture } => {
            let fixture = match fixture {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Fixture::from_toml(&text)
                        .map_err(|e| anyhow::anyhow!("fixture {}: {e}", path.display()))?
                }
                None => Fixture::demo(),
            };
            let corp = fixture.corp_id.clone();
            let sim = SimulatorServer::bind(fixture, &listen)
                .with_context(|| format!("cannot listen on {listen}"))?;
            println!("WeCom simulator for {corp} at {}", sim.base_url);
            sim.run().await?;
        }
        Command::Doctor { config } => {
            let settings = Settings::load(Some(&config))
                .with_context(|| format!("cannot read settings from {}", config.display()))?;
            let report = doctor::run(&settings).await;
            print!("{}", report.render());
            return Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
