use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BenchRetrievalArgs {}

pub fn run(_config: Config, _args: BenchRetrievalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this benchmark is not built yet")
}
