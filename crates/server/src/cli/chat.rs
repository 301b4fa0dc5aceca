use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ChatArgs {}

pub fn run(_config: Config, _args: ChatArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`frontdesk chat` is not built yet")
}
