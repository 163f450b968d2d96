use std::process::ExitCode;

use dcr_server::app::exit::{Failure, command_line_refused};
use dcr_server::app::startup::{migrate_store, open_store};
use dcr_server::{Application, Cli, Command};

fn main() -> ExitCode {
    let code = run();
    // Log lines wait in a buffer for a moment: none is left behind.
    dcr_server::observability::logging::flush();
    code
}

fn run() -> ExitCode {
    let cli = match Cli::try_from_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(err) => return command_line_refused(&err),
    };
    dcr_server::observability::logging::init(cli.settings.logging.log_format);
    let config = match cli.settings.into_config() {
        Ok(config) => config,
        Err(err) => return Failure::Settings.report(err),
    };
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => migrate(&config),
        Command::Serve => return serve(config),
        // A dry run needs no database unless its body names a token.
        Command::Clients {
            command: dcr_server::cli::ClientsCommand::Validate(args),
            target,
        } => {
            if target.create {
                return Failure::Runtime.report(
                    "clients validate creates nothing: --create does not apply to a dry run",
                );
            }
            return match dcr_server::cli::validate::run(&args, &config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => Failure::Runtime.report(err),
            };
        }
        Command::Clients { target, command } => {
            return at_the_shell(&config, target, |store| {
                dcr_server::cli::run(command, &config, store)
            });
        }
        Command::Tokens { target, command } => {
            return at_the_shell(&config, target, |store| {
                dcr_server::cli::tokens::run(command, &config, store)
            });
        }
        Command::Cimd { command } => {
            return match dcr_server::cli::cimd::run(command, &config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => Failure::Runtime.report(err),
            };
        }
        Command::Healthcheck => {
            // The same environment as the server's: a configuration it
            // would refuse is unhealthy too (exit 2 above).
            return match dcr_server::app::healthcheck::check(config.listeners.bind) {
                Ok(()) => ExitCode::SUCCESS,
                Err(unhealthy) => Failure::Runtime.report(format_args!("unhealthy: {unhealthy}")),
            };
        }
        Command::Import(args) => {
            return at_the_shell(&config, args.target, |store| {
                dcr_server::cli::import::run(&args, &config, store)
            });
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => Failure::Runtime.report(err),
    }
}

/// Runs a command of the shell. An operator at a shell must see why it
/// failed, whatever DCR_LOG filters out.
fn at_the_shell(
    config: &dcr_server::Config,
    target: dcr_server::cli::Target,
    command: impl FnOnce(&dcr_store::Store) -> Result<(), dcr_server::cli::CliError>,
) -> ExitCode {
    match in_the_database(config, target, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => Failure::Runtime.report(err),
    }
}

fn migrate(config: &dcr_server::Config) -> Result<(), Box<dyn std::error::Error>> {
    log::info!("database: {}", config.database.store.url.describe());
    let store = open_store(&config.database.store)?;
    let applied = migrate_store(&store);
    store.close(config.database.store.acquire_timeout);
    let applied = applied?;
    if applied.is_empty() {
        log::info!("database {} is up to date", store.url());
    } else {
        log::info!(
            "applied migrations {} to {}",
            applied.join(", "),
            store.url()
        );
    }
    Ok(())
}

fn in_the_database(
    config: &dcr_server::Config,
    target: dcr_server::cli::Target,
    command: impl FnOnce(&dcr_store::Store) -> Result<(), dcr_server::cli::CliError>,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = dcr_server::cli::database::open(config, target.create)?;
    let outcome = migrate_store(&store)
        .map_err(Into::into)
        .and_then(|_| command(&store).map_err(Into::into));
    // Before the process exits (see `Store::close`).
    store.close(config.database.store.acquire_timeout);
    outcome
}

fn serve(config: dcr_server::Config) -> ExitCode {
    actix_web::rt::System::new().block_on(async move {
        let application = match Application::build(config) {
            Ok(application) => application,
            Err(err) => return err.failure().report(err),
        };
        match application.run_until_stopped().await {
            Ok(()) => {
                log::info!("dcr stopped");
                ExitCode::SUCCESS
            }
            Err(err) => Failure::Runtime.report(format_args!("serving: {err}")),
        }
    })
}
