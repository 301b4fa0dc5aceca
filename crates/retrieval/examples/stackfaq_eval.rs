//! Retrieval quality on a JSONL knowledge base and its question set (default: the StackFAQ dev
//! set in ../shared/evaldata): recall@1, recall@5 and MRR for lexical, dense and hybrid search,
//! a fusion-weight sweep, and a held-out fit of the confidence calibration and of the engine's
//! answer thresholds.
//!
//!   cargo run -p frontdesk-retrieval --release --example stackfaq_eval -- [KB.jsonl QA.jsonl…]
//!
//! Without arguments: the StackFAQ knowledge base and its English questions; several question
//! files after the knowledge base are pooled.
//!
//! The embedder is multilingual-e5-small from `FRONTDESK_MODEL_DIR` (default
//! ~/.cache/frontdesk/models); `FRONTDESK_EVAL_EMBEDDER=hash` uses the hashing test embedder.
//!
//! Calibration protocol. The documents are split in two halves A and B (alternating in file
//! order); a question belongs to the half of its first gold document. Every question gives two
//! samples of (confidence features of the top hybrid hit, top hit is gold):
//! - *answerable*: searched against the whole knowledge base;
//! - *unanswerable*: searched against the knowledge base without its half, so its gold document
//!   is missing and any answer is wrong (the label is always false). This is what `min_answer`
//!   exists for; without such samples the model would only learn to rank, never to abstain.
//!
//! The model and the thresholds are fitted on one half and measured on the other (both ways).
//! The coefficients to ship are then refitted on all questions; the thresholds to ship are
//! chosen on the pooled out-of-fold predictions (each half scored by the model that did not
//! see it): `direct_answer` reaches precision 0.9, `min_answer` 0.8. The 50/50 mix of
//! answerable and unanswerable samples is an assumption about traffic, stated in the output;
//! with fewer unanswerable questions the same thresholds are more precise.

use async_trait::async_trait;
use frontdesk_core::config::{Fusion, RetrievalConfig};
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{EmbedKind, Embedder, EmbedderInfo, InferenceError, SearchQuery};
use frontdesk_retrieval::{
    fit_confidence, load_documents, ranked_doc_ids, ConfidenceFeatures, ConfidenceModel, Document,
    HybridIndex, SearchMode,
};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(serde::Deserialize)]
struct Qa {
    question: String,
    doc_ids: Vec<String>,
}

/// The model cache, resolved as the CLI resolves it (`FRONTDESK_MODEL_DIR` or the default).
fn model_dir() -> PathBuf {
    frontdesk_inference::model_dir(&frontdesk_core::config::ModelsConfig::default())
}

/// Embeds each (kind, text) once: the partial knowledge bases re-use the full one's vectors.
struct Cached {
    inner: Arc<dyn Embedder>,
    cache: Mutex<HashMap<(bool, String), Vec<f32>>>,
}

#[async_trait]
impl Embedder for Cached {
    fn info(&self) -> EmbedderInfo {
        self.inner.info()
    }
    async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        let q = kind == EmbedKind::Query;
        let missing: Vec<String> = {
            let cache = self.cache.lock().unwrap();
            let mut seen = HashSet::new();
            texts
                .iter()
                .filter(|t| !cache.contains_key(&(q, t.to_string())) && seen.insert(t.as_str()))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let v = self.inner.embed(missing.clone(), kind).await?;
            let mut cache = self.cache.lock().unwrap();
            for (t, v) in missing.into_iter().zip(v) {
                cache.insert((q, t), v);
            }
        }
        let cache = self.cache.lock().unwrap();
        Ok(texts
            .iter()
            .map(|t| cache[&(q, t.to_string())].clone())
            .collect())
    }
}

#[derive(Default, Clone, Copy)]
struct Metrics {
    r1: f32,
    r5: f32,
    mrr: f32,
}

type Sample = (ConfidenceFeatures, bool);

/// Calibration of a model on samples: expected calibration error (10 equal-width bins,
/// weighted), Brier score, log loss and ROC AUC.
fn calibration(model: &ConfidenceModel, samples: &[Sample]) -> (f32, f32, f32, f32) {
    if samples.is_empty() {
        return (f32::NAN, f32::NAN, f32::NAN, f32::NAN);
    }
    let n = samples.len() as f32;
    let p: Vec<(f32, bool)> = samples
        .iter()
        .map(|(f, y)| (model.predict(f), *y))
        .collect();
    let mut bins = [(0f32, 0f32, 0f32); 10];
    for (pi, y) in &p {
        let b = ((pi * 10.0) as usize).min(9);
        bins[b].0 += 1.0;
        bins[b].1 += pi;
        bins[b].2 += f32::from(u8::from(*y));
    }
    let ece = bins
        .iter()
        .filter(|b| b.0 > 0.0)
        .map(|(c, s, k)| (c / n) * (s / c - k / c).abs())
        .sum();
    let brier = p
        .iter()
        .map(|(pi, y)| (pi - f32::from(u8::from(*y))).powi(2))
        .sum::<f32>()
        / n;
    let logloss = -p
        .iter()
        .map(|(pi, y)| {
            let pi = pi.clamp(1e-6, 1.0 - 1e-6);
            if *y {
                pi.ln()
            } else {
                (1.0 - pi).ln()
            }
        })
        .sum::<f32>()
        / n;
    // AUC by the rank-sum formula (ties count half).
    let pos: Vec<f32> = p.iter().filter(|x| x.1).map(|x| x.0).collect();
    let neg: Vec<f32> = p.iter().filter(|x| !x.1).map(|x| x.0).collect();
    let auc = if pos.is_empty() || neg.is_empty() {
        f32::NAN
    } else {
        let mut wins = 0f64;
        for a in &pos {
            for b in &neg {
                wins += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
        (wins / (pos.len() * neg.len()) as f64) as f32
    };
    (ece, brier, logloss, auc)
}

/// Target precision (over all answered samples, answerable and unanswerable) of direct answers
/// and of answers at all: `direct_answer` and `min_answer` are the lowest thresholds reaching them.
const DIRECT_PRECISION: f32 = 0.9;
const MIN_PRECISION: f32 = 0.8;

fn scored(model: &ConfidenceModel, samples: &[Sample]) -> Vec<(f32, bool)> {
    samples
        .iter()
        .map(|(f, y)| (model.predict(f), *y))
        .collect()
}

/// At threshold t, over (confidence, right) pairs: (share of answerable questions answered,
/// share of those answered right, precision over all answered samples, share of unanswerable
/// questions answered).
fn at_threshold(
    answerable: &[(f32, bool)],
    unanswerable: &[(f32, bool)],
    t: f32,
) -> (f32, f32, f32, f32) {
    let over = |s: &[(f32, bool)]| -> (usize, usize) {
        s.iter().fold((0, 0), |(n, ok), (p, y)| {
            if *p >= t {
                (n + 1, ok + usize::from(*y))
            } else {
                (n, ok)
            }
        })
    };
    let (na, oka) = over(answerable);
    let (nu, oku) = over(unanswerable);
    let div = |a: usize, b: usize| {
        if b == 0 {
            f32::NAN
        } else {
            a as f32 / b as f32
        }
    };
    (
        div(na, answerable.len()),
        div(oka, na),
        div(oka + oku, na + nu),
        div(nu, unanswerable.len()),
    )
}

/// The smallest threshold (0.01 grid) from which the precision over all answered samples stays
/// at or above `target` for every higher threshold that still answers something.
fn threshold_for_precision(
    answerable: &[(f32, bool)],
    unanswerable: &[(f32, bool)],
    target: f32,
) -> f32 {
    let mut chosen = 1.0;
    for i in (0..=99).rev() {
        let t = i as f32 / 100.0;
        let (_, _, precision, _) = at_threshold(answerable, unanswerable, t);
        if precision.is_nan() {
            continue;
        }
        if precision < target {
            break;
        }
        chosen = t;
    }
    chosen
}

fn print_threshold_table(answerable: &[(f32, bool)], unanswerable: &[(f32, bool)]) {
    println!("  | threshold | answerable answered | right among those | precision (all answered) | unanswerable answered |");
    println!("  |---|---|---|---|---|");
    for t in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let (cov, acc, prec, fa) = at_threshold(answerable, unanswerable, t);
        println!("  | {t:.1} | {cov:.3} | {acc:.3} | {prec:.3} | {fa:.3} |");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kb = PathBuf::from(
        args.first()
            .map(String::as_str)
            .unwrap_or("../shared/evaldata/dev/kb_stackfaq.jsonl"),
    );
    // Several question files are pooled (e.g. with `evals/stackfaq-sr/questions_sr.jsonl`, the
    // Serbian translations, tried on 2026-12-05 and not shipped: crates/retrieval/README.md).
    let qa_paths: Vec<PathBuf> = if args.len() > 1 {
        args[1..].iter().map(PathBuf::from).collect()
    } else {
        vec![PathBuf::from("../shared/evaldata/dev/qa_stackfaq.jsonl")]
    };
    let raw: Arc<dyn Embedder> =
        if std::env::var("FRONTDESK_EVAL_EMBEDDER").as_deref() == Ok("hash") {
            Arc::new(HashEmbedder::new(384))
        } else {
            let file = model_dir().join("multilingual-e5-small/e5-small-q4.bin");
            Arc::new(frontdesk_inference::embed::spawn_e5(
                &file,
                &Default::default(),
            )?)
        };
    let embedder: Arc<dyn Embedder> = Arc::new(Cached {
        inner: raw,
        cache: Mutex::new(HashMap::new()),
    });
    let (docs, issues) = load_documents(std::slice::from_ref(&kb));
    for i in &issues {
        eprintln!("skipped {i}");
    }
    let mut qas: Vec<Qa> = Vec::new();
    for path in &qa_paths {
        let text = std::fs::read_to_string(path)?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            qas.push(serde_json::from_str(line)?);
        }
    }

    // Halves of the knowledge base: alternating documents in file order.
    let half_of: HashMap<String, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i % 2))
        .collect();
    let without = |h: usize| -> Vec<Document> {
        docs.iter()
            .filter(|d| half_of[&d.id] != h)
            .cloned()
            .collect()
    };
    let question_half: Vec<Option<usize>> = qas
        .iter()
        .map(|q| q.doc_ids.first().and_then(|d| half_of.get(d).copied()))
        .collect();

    let t = Instant::now();
    let cfg = RetrievalConfig::default();
    let index = HybridIndex::build_in_memory(docs.clone(), embedder.clone(), &cfg).await?;
    let (nd, nc) = index.len();
    println!(
        "model {} | {nd} documents, {nc} chunks indexed in {:.1}s",
        embedder.info().model_id,
        t.elapsed().as_secs_f32()
    );
    let partial = [
        HybridIndex::build_in_memory(without(0), embedder.clone(), &cfg).await?,
        HybridIndex::build_in_memory(without(1), embedder.clone(), &cfg).await?,
    ];

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
                    samples: &mut Vec<(usize, Sample)>|
     -> Metrics {
        let mut m = Metrics::default();
        for (i, (qa, v)) in qas.iter().zip(&qvecs).enumerate() {
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
                samples.push((i, (*f, qa.doc_ids.contains(&h.doc_id))));
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
    let answerable = samples;

    // Unanswerable: each question against the half of the knowledge base without its gold
    // document (questions with gold documents in both halves are skipped).
    let mut unanswerable: Vec<(usize, Sample)> = Vec::new();
    for (i, (qa, v)) in qas.iter().zip(&qvecs).enumerate() {
        let Some(h) = question_half[i] else { continue };
        if qa
            .doc_ids
            .iter()
            .any(|d| half_of.get(d).is_some_and(|&x| x != h))
        {
            continue;
        }
        let hits = partial[h].search_embedded(
            &SearchQuery::new(qa.question.clone(), 5),
            Some(v),
            SearchMode::Hybrid,
        );
        if let Some((_, Some(f))) = hits.first() {
            unanswerable.push((i, (*f, false)));
        }
    }

    println!("\nfusion sweep (hybrid):");
    let mut index = index;
    let settings = [10.0, 30.0, 60.0]
        .map(|rrf_k| (Fusion::Rrf, rrf_k))
        .into_iter()
        .chain([(Fusion::Convex, cfg.rrf_k)]);
    for (fusion, rrf_k) in settings {
        for w in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
            index = index.with_retrieval_config(RetrievalConfig {
                fusion,
                rrf_k,
                dense_weight: w,
                ..cfg.clone()
            });
            let m = evaluate(&index, SearchMode::Hybrid, &mut Vec::new());
            let k = if fusion == Fusion::Rrf {
                format!(" rrf_k {rrf_k:>4}")
            } else {
                String::new()
            };
            println!(
                "  {fusion:?}{k} dense_weight {w:.1}: r@1 {:.3} r@5 {:.3} mrr {:.3}",
                m.r1, m.r5, m.mrr
            );
        }
    }
    let select = |s: &[(usize, Sample)], half: Option<usize>| -> Vec<Sample> {
        s.iter()
            .filter(|(i, _)| half.is_none() || question_half[*i] == half)
            .map(|(_, x)| *x)
            .collect()
    };
    println!(
        "\nconfidence calibration: {} answerable + {} unanswerable samples (assumed traffic: 50/50)",
        answerable.len(),
        unanswerable.len()
    );
    let current = ConfidenceModel::default();
    // Out-of-fold predictions: each half scored by the model fitted on the other half.
    let mut oof_a: Vec<(f32, bool)> = Vec::new();
    let mut oof_u: Vec<(f32, bool)> = Vec::new();
    for (fit_half, test_half) in [(0, 1), (1, 0)] {
        let fit_a = select(&answerable, Some(fit_half));
        let fit_u = select(&unanswerable, Some(fit_half));
        let test_a = select(&answerable, Some(test_half));
        let test_u = select(&unanswerable, Some(test_half));
        let both: Vec<Sample> = fit_a.iter().chain(&fit_u).copied().collect();
        let model = fit_confidence(&both);
        oof_a.extend(test_a.iter().map(|(f, y)| (model.predict(f), *y)));
        oof_u.extend(test_u.iter().map(|(f, y)| (model.predict(f), *y)));
        let direct = threshold_for_precision(
            &scored(&model, &fit_a),
            &scored(&model, &fit_u),
            DIRECT_PRECISION,
        );
        let min = threshold_for_precision(
            &scored(&model, &fit_a),
            &scored(&model, &fit_u),
            MIN_PRECISION,
        );
        println!(
            "\nfit on half {fit_half} ({} questions), measured on half {test_half} ({} questions): {model:?}",
            fit_a.len(),
            test_a.len()
        );
        println!("  thresholds chosen on the fit half: direct_answer {direct:.2} (precision >= {DIRECT_PRECISION}), min_answer {min:.2} (precision >= {MIN_PRECISION})");
        let test_all: Vec<Sample> = test_a.iter().chain(&test_u).copied().collect();
        for (name, m) in [("fitted", model), ("in use", current)] {
            let (ece, brier, ll, auc) = calibration(&m, &test_all);
            let (ece_a, brier_a, _, _) = calibration(&m, &test_a);
            println!("  {name:>6} held out: ECE {ece:.3} Brier {brier:.3} log loss {ll:.3} AUC {auc:.3} | answerable only: ECE {ece_a:.3} Brier {brier_a:.3}");
        }
        let (ta, tu) = (scored(&model, &test_a), scored(&model, &test_u));
        for (name, t) in [("direct_answer", direct), ("min_answer", min)] {
            let (cov, acc, prec, fa) = at_threshold(&ta, &tu, t);
            println!("  held out at {name} {t:.2}: answerable answered {cov:.3}, right among those {acc:.3}, precision {prec:.3}, unanswerable answered {fa:.3}");
        }
        print_threshold_table(&ta, &tu);
    }

    let all_a = select(&answerable, None);
    let all_u = select(&unanswerable, None);
    let all: Vec<Sample> = all_a.iter().chain(&all_u).copied().collect();
    let fitted = fit_confidence(&all);
    println!("\nto ship: refit on all {} samples: {fitted:?}", all.len());
    let (ece, brier, ll, auc) = calibration(&fitted, &all);
    println!("  in sample: ECE {ece:.3} Brier {brier:.3} log loss {ll:.3} AUC {auc:.3}");
    // Thresholds from held-out scores only: the pooled out-of-fold predictions.
    let direct = threshold_for_precision(&oof_a, &oof_u, DIRECT_PRECISION);
    let min = threshold_for_precision(&oof_a, &oof_u, MIN_PRECISION);
    println!("  thresholds from the out-of-fold (held-out) predictions: direct_answer {direct:.2} (precision >= {DIRECT_PRECISION}), min_answer {min:.2} (precision >= {MIN_PRECISION})");
    for (name, t) in [("direct_answer", direct), ("min_answer", min)] {
        let (cov, acc, prec, fa) = at_threshold(&oof_a, &oof_u, t);
        println!("  out of fold at {name} {t:.2}: answerable answered {cov:.3}, right among those {acc:.3}, precision {prec:.3}, unanswerable answered {fa:.3}");
    }
    println!("  out-of-fold table:");
    print_threshold_table(&oof_a, &oof_u);
    println!("in use: {current:?}");
    Ok(())
}
