use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ServeArgs {}

pub fn run(_config: Config, _args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk serve` is not built yet")
}
