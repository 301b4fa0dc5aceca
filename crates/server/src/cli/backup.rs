//! `frontdesk backup --to DIR` and `frontdesk restore --from DIR`: a consistent online copy of
//! the data directory (conversations, shop, knowledge index) and its restore into an empty one.

use frontdesk_core::Config;
use frontdesk_server::backup::{self, DataLayout};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// A new (or empty) folder to write the backup into.
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A folder written by `frontdesk backup`.
    #[arg(long)]
    pub from: PathBuf,
}

/// With `server.database_url` set, conversations and the shop live in PostgreSQL, which this
/// command cannot copy consistently with the index; the database's own tools do.
fn refuse_with_postgres(config: &Config, what: &str) -> anyhow::Result<()> {
    if config
        .server
        .database_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        anyhow::bail!(
            "`frontdesk {what}` copies the SQLite databases of one machine, but server.database_url \
             points at PostgreSQL: use pg_dump / pg_restore for the database (the knowledge index \
             is rebuilt from the knowledge base by `frontdesk index`)"
        );
    }
    Ok(())
}

pub fn run_backup(config: Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    refuse_with_postgres(&config, "backup")?;
    let layout = DataLayout::from_config(&config);
    let manifest = backup::backup(&layout, &args.to)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "backed up {} into {}: {} files, {:.1} MB, schema version {}",
        layout.data_dir.display(),
        args.to.display(),
        manifest.files.len(),
        bytes as f64 / 1e6,
        manifest.schema_version
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_restore(config: Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    refuse_with_postgres(&config, "restore")?;
    let layout = DataLayout::from_config(&config);
    let manifest = backup::restore(&args.from, &layout)?;
    println!(
        "restored the backup of {} into {} ({} files checked against their sha256)",
        manifest.created_at.to_rfc3339(),
        layout.data_dir.display(),
        manifest.files.len()
    );
    Ok(ExitCode::SUCCESS)
}
