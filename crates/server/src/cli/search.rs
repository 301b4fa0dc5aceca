use anyhow::Context;
use frontdesk_core::retrieval::SearchFilters;
use frontdesk_core::{Config, Hit, Lang, RetrievalError, SearchQuery};
use frontdesk_retrieval::{HybridIndex, SearchMode};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct SearchArgs {
    /// The question, in any language the embedder knows.
    query: String,
    /// Number of hits.
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Print hits as JSON.
    #[arg(long)]
    json: bool,
    /// hybrid, dense or lexical.
    #[arg(long, default_value = "hybrid")]
    mode: SearchMode,
    /// Only documents in this language (en, sr-Cyrl, sr-Latn); repeatable.
    #[arg(long)]
    lang: Vec<Lang>,
    /// Only documents with this tag; repeatable (all must match).
    #[arg(long)]
    tag: Vec<String>,
    /// Knowledge roots to index first when no index exists yet. Default: `knowledge` from the config.
    #[arg(long = "kb", value_name = "PATH")]
    kb: Vec<PathBuf>,
}

pub fn run(config: Config, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let hits = runtime.block_on(async {
        let embedder = frontdesk_inference::load_embedder(&config.models)
            .context("loading the embedding model")?;
        let map = super::stack::language_map(&config, embedder.as_ref()).await?;
        let index =
            match HybridIndex::open(&config.data_dir, Arc::clone(&embedder), &config.retrieval)
                .await
            {
                Ok(index) => index,
                Err(RetrievalError::NotReady) => {
                    eprintln!(
                        "no index under {} yet; indexing the knowledge base first",
                        config.data_dir.display()
                    );
                    let roots = if args.kb.is_empty() {
                        config.knowledge.clone()
                    } else {
                        args.kb.clone()
                    };
                    HybridIndex::open_or_build(
                        &config.data_dir,
                        &roots,
                        embedder,
                        &config.retrieval,
                        None,
                    )
                    .await?
                    .0
                }
                Err(e) => return Err(e.into()),
            };
        let index = match map {
            Some(map) => index.with_language_map(map),
            None => index,
        };
        // As the engine searches: a Serbian question in both scripts.
        let lang = frontdesk_engine::lang::detect_language(&args.query, None);
        let mut query = SearchQuery::new(args.query.clone(), args.k).with_lang(lang);
        query.filters = SearchFilters {
            langs: args.lang.clone(),
            tags: args.tag.clone(),
        };
        if let Some(v) = frontdesk_engine::lang::other_script(&args.query, lang) {
            query = query.with_variant(v);
        }
        anyhow::Ok(index.search_with(&query, args.mode).await?)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
    } else if hits.is_empty() {
        println!("no hits");
    } else {
        for (i, h) in hits.iter().enumerate() {
            print_hit(i + 1, h);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_hit(rank: usize, h: &Hit) {
    let place = h.url.clone().unwrap_or_else(|| h.source.clone());
    let section = if h.section.is_empty() {
        String::new()
    } else {
        format!(" > {}", h.section)
    };
    println!(
        "{rank}. [{:.2}] {}{section}  ({}, {}, {})",
        h.confidence, h.title, h.doc_id, h.lang, place
    );
    if let Some(q) = &h.question {
        println!("   Q: {q}");
    }
    let text: String = h.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let snippet: String = text.chars().take(240).collect();
    let more = if text.chars().count() > 240 {
        "…"
    } else {
        ""
    };
    println!("   {snippet}{more}");
    let dense = h.scores.dense.map_or("-".into(), |d| format!("{d:.3}"));
    let lexical = h.scores.lexical.map_or("-".into(), |l| format!("{l:.2}"));
    println!(
        "   cosine {dense}  bm25 {lexical}  fused {:.4}",
        h.scores.fused
    );
}
