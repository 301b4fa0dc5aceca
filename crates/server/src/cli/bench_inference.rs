use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BenchInferenceArgs {}

pub fn run(_config: Config, _args: BenchInferenceArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this benchmark is not built yet")
}
