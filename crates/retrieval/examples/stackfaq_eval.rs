//! Retrieval quality on a JSONL knowledge base and its question set (default: the StackFAQ dev
//! set in ../shared/evaldata): recall@1, recall@5 and MRR for lexical, dense and hybrid search,
//! a fusion-weight sweep, and a refit of the confidence calibration.
//!
//!   cargo run -p frontdesk-retrieval --release --example stackfaq_eval -- [KB.jsonl QA.jsonl]
//!
//! The embedder is multilingual-e5-small from `FRONTDESK_MODEL_DIR` (default
//! ~/.cache/frontdesk/models); `FRONTDESK_EVAL_EMBEDDER=hash` uses the hashing test embedder.

use frontdesk_core::config::RetrievalConfig;
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{EmbedKind, Embedder, SearchQuery};
use frontdesk_retrieval::{
    fit_confidence, load_documents, ranked_doc_ids, ConfidenceFeatures, HybridIndex, SearchMode,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(serde::Deserialize)]
struct Qa {
    question: String,
    doc_ids: Vec<String>,
}

fn model_dir() -> PathBuf {
    std::env::var_os("FRONTDESK_MODEL_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/frontdesk/models"))
        })
        .unwrap_or_default()
}

#[derive(Default, Clone, Copy)]
struct Metrics {
    r1: f32,
    r5: f32,
    mrr: f32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kb = PathBuf::from(
        args.first()
            .map(String::as_str)
            .unwrap_or("../shared/evaldata/dev/kb_stackfaq.jsonl"),
    );
    let qa_path = PathBuf::from(
        args.get(1)
            .map(String::as_str)
            .unwrap_or("../shared/evaldata/dev/qa_stackfaq.jsonl"),
    );
    let embedder: Arc<dyn Embedder> =
        if std::env::var("FRONTDESK_EVAL_EMBEDDER").as_deref() == Ok("hash") {
            Arc::new(HashEmbedder::new(384))
        } else {
            let file = model_dir().join("multilingual-e5-small/e5-small-q4.bin");
            Arc::new(frontdesk_inference::embed::spawn_e5(
                &file,
                &Default::default(),
            )?)
        };
    let (docs, issues) = load_documents(std::slice::from_ref(&kb));
    for i in &issues {
        eprintln!("skipped {i}");
    }
    let qas: Vec<Qa> = std::fs::read_to_string(&qa_path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;

    let t = Instant::now();
    let cfg = RetrievalConfig::default();
    let index = HybridIndex::build_in_memory(docs, embedder.clone(), &cfg).await?;
    let (nd, nc) = index.len();
    println!(
        "model {} | {nd} documents, {nc} chunks indexed in {:.1}s",
        embedder.info().model_id,
        t.elapsed().as_secs_f32()
    );

    let t = Instant::now();
    let mut qvecs = Vec::with_capacity(qas.len());
    for batch in qas.chunks(32) {
        qvecs.extend(
            embedder
                .embed(
                    batch.iter().map(|q| q.question.clone()).collect(),
                    EmbedKind::Query,
                )
                .await?,
        );
    }
    println!(
        "{} questions embedded in {:.1}s",
        qas.len(),
        t.elapsed().as_secs_f32()
    );

    let evaluate = |index: &HybridIndex,
                    mode: SearchMode,
                    samples: &mut Vec<(ConfidenceFeatures, bool)>|
     -> Metrics {
        let mut m = Metrics::default();
        for (qa, v) in qas.iter().zip(&qvecs) {
            let hits =
                index.search_embedded(&SearchQuery::new(qa.question.clone(), 20), Some(v), mode);
            let plain: Vec<_> = hits.iter().map(|(h, _)| h.clone()).collect();
            let ids = ranked_doc_ids(&plain);
            let rank = ids.iter().position(|d| qa.doc_ids.iter().any(|g| g == d));
            if rank == Some(0) {
                m.r1 += 1.0;
            }
            if rank.is_some_and(|r| r < 5) {
                m.r5 += 1.0;
            }
            m.mrr += rank.map_or(0.0, |r| 1.0 / (r + 1) as f32);
            if let Some((h, Some(f))) = hits.first() {
                samples.push((*f, qa.doc_ids.contains(&h.doc_id)));
            }
        }
        let n = qas.len() as f32;
        Metrics {
            r1: m.r1 / n,
            r5: m.r5 / n,
            mrr: m.mrr / n,
        }
    };

    println!("\n| mode | recall@1 | recall@5 | MRR |\n|---|---|---|---|");
    let mut samples = Vec::new();
    for mode in [SearchMode::Lexical, SearchMode::Dense, SearchMode::Hybrid] {
        samples.clear();
        let m = evaluate(&index, mode, &mut samples);
        println!("| {mode:?} | {:.3} | {:.3} | {:.3} |", m.r1, m.r5, m.mrr);
    }
    let hybrid_samples = samples.clone();

    println!("\nfusion sweep (hybrid):");
    let mut index = index;
    for rrf_k in [10.0, 30.0, 60.0] {
        for w in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8] {
            index = index.with_retrieval_config(RetrievalConfig {
                rrf_k,
                dense_weight: w,
                ..cfg.clone()
            });
            let m = evaluate(&index, SearchMode::Hybrid, &mut Vec::new());
            println!(
                "  rrf_k {rrf_k:>4} dense_weight {w:.1}: r@1 {:.3} r@5 {:.3} mrr {:.3}",
                m.r1, m.r5, m.mrr
            );
        }
    }

    let fitted = fit_confidence(&hybrid_samples);
    let current = index.confidence_model();
    println!(
        "\nconfidence refit on {} top hits (label: top hit is gold): {fitted:?}",
        hybrid_samples.len()
    );
    println!("in use: {current:?}");
    // Calibration table: how often the top hit is right at each confidence level.
    for (name, model) in [("fitted", fitted), ("in use", current)] {
        let mut bins = [(0usize, 0usize); 5];
        for (f, ok) in &hybrid_samples {
            let b = ((model.predict(f) * 5.0) as usize).min(4);
            bins[b].0 += 1;
            bins[b].1 += usize::from(*ok);
        }
        let cells: Vec<String> = bins
            .iter()
            .enumerate()
            .map(|(i, (n, ok))| {
                format!(
                    "{:.1}-{:.1}: {ok}/{n}",
                    i as f32 / 5.0,
                    (i + 1) as f32 / 5.0
                )
            })
            .collect();
        println!("  {name}: {}", cells.join("  "));
    }
    Ok(())
}
