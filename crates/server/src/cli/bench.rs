use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BenchArgs {}

pub fn run(_config: Config, _args: BenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk bench` is not built yet")
}
