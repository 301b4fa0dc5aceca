//! The `frontdesk` binary: one entry point for serving, chatting, indexing, evaluating and benchmarking.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "frontdesk",
    version,
    about = "Local-first customer-service bot engine"
)]
struct Cli {
    /// Config file (TOML); defaults → file → FRONTDESK_* env → flags.
    #[arg(long, global = true, env = "FRONTDESK_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (index, database, reports).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP service (chat, voice, agent inbox, admin).
    Serve(cli::serve::ServeArgs),
    /// Talk to the bot in the terminal.
    Chat(cli::chat::ChatArgs),
    /// Build or update the knowledge index.
    Index(cli::index::IndexArgs),
    /// Search the knowledge index.
    Search(cli::search::SearchArgs),
    /// Manage local models: list, fetch, verify.
    Models(cli::models::ModelsArgs),
    /// Run evaluation suites and write reports.
    Eval(cli::eval::EvalArgs),
    /// Style-shifted copies of tau-retail scenarios by the local chat model, fact-checked.
    ParaphraseScenarios(cli::paraphrase::ParaphraseArgs),
    /// Benchmarks (inference, retrieval, load and soak).
    Bench(cli::bench::BenchArgs),
    /// Consistent online copy of the databases and the knowledge index into a new folder.
    Backup(cli::backup::BackupArgs),
    /// Restore a backup into an empty data directory.
    Restore(cli::backup::RestoreArgs),
}

fn main() -> ExitCode {
    cli::init_tracing();
    let cli = Cli::parse();
    let config = match cli::load_config(cli.config.as_deref(), cli.data_dir.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve(a) => cli::serve::run(config, a),
        Command::Chat(a) => cli::chat::run(config, a),
        Command::Index(a) => cli::index::run(config, a),
        Command::Search(a) => cli::search::run(config, a),
        Command::Models(a) => cli::models::run(config, a),
        Command::Eval(a) => cli::eval::run(config, a),
        Command::ParaphraseScenarios(a) => cli::paraphrase::run(config, a),
        Command::Bench(a) => cli::bench::run(config, a),
        Command::Backup(a) => cli::backup::run_backup(config, a),
        Command::Restore(a) => cli::backup::run_restore(config, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
