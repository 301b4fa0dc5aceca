//! One file per subcommand; each exposes `XArgs` (clap) and `run(config, args)`.

pub mod backup;
pub mod bench;
pub mod bench_inference;
pub mod bench_load;
pub mod bench_retrieval;
pub mod chat;
pub mod eval;
pub mod index;
pub mod models;
pub mod paraphrase;
pub mod search;
pub mod serve;
pub mod stack;

use anyhow::Context;
use frontdesk_core::Config;
use std::path::Path;

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("FRONTDESK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,frontdesk=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn load_config(file: Option<&Path>, data_dir: Option<&Path>) -> anyhow::Result<Config> {
    let mut config = Config::load(file).context("loading configuration")?;
    if let Some(d) = data_dir {
        config.data_dir = d.to_path_buf();
    }
    Ok(config)
}
