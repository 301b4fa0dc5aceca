use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct IndexArgs {}

pub fn run(_config: Config, _args: IndexArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk index` is not built yet")
}
