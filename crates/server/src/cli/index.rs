use anyhow::Context;
use frontdesk_core::Config;
use frontdesk_retrieval::{HybridIndex, IndexProgress, IndexReport, IndexStage};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct IndexArgs {
    /// Knowledge root (file or folder); repeat for several. Default: `knowledge` from the config.
    #[arg(long = "kb", value_name = "PATH")]
    kb: Vec<PathBuf>,
    /// Discard the stored index and embed everything again (needed after changing the embedding model).
    #[arg(long)]
    rebuild: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(config: Config, args: IndexArgs) -> anyhow::Result<ExitCode> {
    let roots = if args.kb.is_empty() {
        config.knowledge.clone()
    } else {
        args.kb.clone()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let embedder = frontdesk_inference::load_embedder(&config.models)
            .context("loading the embedding model")?;
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>10} [{bar:40}] {pos}/{len} passages and units ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let progress = |p: IndexProgress| {
            if p.stage == IndexStage::Embedding {
                bar.set_message("embedding");
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
            } else if p.done == 0 {
                bar.set_message(format!("{:?}", p.stage).to_lowercase());
            }
        };
        let built = if args.rebuild {
            HybridIndex::rebuild(
                &config.data_dir,
                &roots,
                Arc::clone(&embedder),
                &config.retrieval,
                Some(&progress),
            )
            .await
        } else {
            HybridIndex::open_or_build(
                &config.data_dir,
                &roots,
                Arc::clone(&embedder),
                &config.retrieval,
                Some(&progress),
            )
            .await
        };
        bar.finish_and_clear();
        let (_, report) = built.context("indexing the knowledge base")?;
        anyhow::Ok(report)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, &config.data_dir.join("index"));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &IndexReport, at: &std::path::Path) {
    let secs = r.elapsed.as_secs_f64().max(1e-6);
    println!(
        "indexed {} documents, {} chunks in {:.2}s into {}",
        r.documents,
        r.chunks,
        secs,
        at.display()
    );
    println!(
        "  embedded {} chunks, reused {}, removed {} documents ({:.1} documents/s, {:.1} chunks/s)",
        r.embedded_chunks,
        r.reused_chunks,
        r.removed_documents,
        r.documents as f64 / secs,
        r.chunks as f64 / secs
    );
    if !r.issues.is_empty() {
        println!(
            "skipped or left out {} file(s), line(s) or paragraph(s):",
            r.issues.len()
        );
        for issue in &r.issues {
            println!("  {issue}");
        }
    }
}
