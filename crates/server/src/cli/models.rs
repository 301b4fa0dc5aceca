use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ModelsArgs {}

pub fn run(_config: Config, _args: ModelsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk models` is not built yet")
}
