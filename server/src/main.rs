//! `wecom-desk`: serve, demo, simulate, doctor, backup, restore, migrate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use desk_server::config::Settings;
use desk_server::startup::Application;
use desk_server::{demo, doctor, ops, telemetry};
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
    /// SQLite: a consistent copy of the database (while the server runs) to a new
    /// file. PostgreSQL: prints the pg_dump command to run and exits with 3.
    Backup {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The backup file to write (never overwritten).
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
    },
    /// SQLite: puts a backup in place of the database (stop the server first).
    /// PostgreSQL: prints the pg_restore command to run and exits with 3.
    Restore {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The backup file `wecom-desk backup` wrote.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// Replace the database file if there is one.
        #[arg(long)]
        force: bool,
    },
    /// Copies every row of a SQLite database into an empty PostgreSQL database.
    Migrate {
        /// The SQLite database, e.g. sqlite://data/desk.db.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty PostgreSQL database, e.g. postgres://desk@db/desk.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // doctor prints its own checklist; its retries need not show as warnings.
    telemetry::init(match cli.command {
        Command::Doctor { .. }
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Migrate { .. } => "error",
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
        Command::Backup { config, to } => {
            return Ok(done(ops::backup(&database_url(&config)?, &to).await?));
        }
        Command::Restore {
            config,
            from,
            force,
        } => {
            return Ok(done(
                ops::restore(&database_url(&config)?, &from, force).await?,
            ))
        }
        Command::Migrate { from, to } => print!("{}", ops::migrate(&from, &to).await?.render()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The database URL of a config file.
fn database_url(config: &std::path::Path) -> anyhow::Result<String> {
    let settings = Settings::load(Some(config))
        .with_context(|| format!("cannot read settings from {}", config.display()))?;
    Ok(secrecy::ExposeSecret::expose_secret(&settings.database.url).to_string())
}

/// Prints what a backup or restore did; exit 3 when it only printed a command.
fn done(outcome: ops::Outcome) -> ExitCode {
    match outcome {
        ops::Outcome::Done(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        ops::Outcome::RunThis(text) => {
            print!("{text}");
            ExitCode::from(ops::EXIT_RUN_THIS)
        }
    }
}
