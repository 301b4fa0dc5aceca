use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SearchArgs {}

pub fn run(_config: Config, _args: SearchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk search` is not built yet")
}
