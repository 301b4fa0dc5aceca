use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct EvalArgs {}

pub fn run(_config: Config, _args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk eval` is not built yet")
}
